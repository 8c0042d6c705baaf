from posc.addresses import client_address

from .context import client_ip


class RequestContextMiddleware:
    """Makes the client address known to services.audit_record without passing the request around.

    The address is posc.addresses.client_address's, the one sign-in throttling uses: REMOTE_ADDR,
    or behind a configured trusted proxy (POSC_TRUSTED_PROXIES) the client it forwarded; a
    forwarded header from anyone else is ignored (ASVS 16.2.1).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = client_ip.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
