"""The portal's own "Page not found" under `make run` too.

With DEBUG on (the demo), Django answers an unknown address with its technical 404 page, which
shows the URL patterns and looks like nothing a provider has seen. The demo is shown to people,
so its 404 is the one production serves (templates/404.html). Only Django's technical page is
replaced: it is recognized by the robots tag it always writes.
"""

from django.conf import settings
from django.http import Http404
from django.views.defaults import page_not_found

_TECHNICAL = b'<meta name="robots" content="NONE,NOARCHIVE">'


class PortalNotFoundMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not response.streaming
            and _TECHNICAL in response.content[:4096]
        ):
            return page_not_found(request, Http404())
        return response
