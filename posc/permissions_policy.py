"""The Permissions-Policy header (ASVS 3.4.x browser security headers; issue 15).

The portal uses no camera, microphone, location, payment, USB or other powerful browser feature, so
every page denies them to itself and to anything it might embed: a script that got in (past the
CSP) still cannot ask for them. Passkeys are the exception: WebAuthn's
``publickey-credentials-get`` and ``-create`` stay allowed for this origin (issue 14's sign-in).
Django has no setting for it; this is the one header, built once from POSC_PERMISSIONS_POLICY.
"""

from django.conf import settings


def header_value(policy: dict[str, list[str]]) -> str:
    """{"camera": [], "publickey-credentials-get": ["self"]} -> 'camera=(), publickey-credentials-get=(self)'."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = header_value(settings.POSC_PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
