from .context import client_ip


class RequestContextMiddleware:
    """Makes the client address known to services.audit_record without passing the request around.

    REMOTE_ADDR is the address the server saw; behind a proxy, configure it to set
    REMOTE_ADDR (never trust X-Forwarded-For from the client).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
