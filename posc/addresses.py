"""The client's address: the one answer every lockout, throttle and audit record uses.

ASVS 6.3.1 and NIST SP 800-63B-4 §3.2.2 (rate limiting per address), ASVS 16.2.1 (where). Behind
the TLS proxy the README asks for, REMOTE_ADDR is the proxy's address for everyone: keyed on it, ten
failures by anyone locked everyone out (issue 14). So the forwarded header is read, but only when
the request came from a proxy the deployment names (``POSC_TRUSTED_PROXIES``); from anyone else the
header is the client's own words and is ignored. In the header the rightmost hop that is not a
trusted proxy is the client: hops to its left were written by the client and can be anything.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


@lru_cache(maxsize=8)
def _meta_key(header: str) -> str:
    return "HTTP_" + header.strip().upper().replace("-", "_")


def _parse(value) -> Address | None:
    """An address as a proxy writes it: "203.0.113.7", "203.0.113.7:5122", "[2001:db8::1]:443"."""
    text = str(value or "").strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: Address, networks) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str | None:
    """The address the request came from, as a string (None when the server saw none).

    REMOTE_ADDR, unless REMOTE_ADDR is a trusted proxy: then the rightmost untrusted hop of
    ``POSC_CLIENT_IP_HEADER`` (X-Forwarded-For), or the leftmost hop when every hop is a proxy."""
    remote = _parse(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    networks = _networks(tuple(settings.POSC_TRUSTED_PROXIES))
    if not networks or not _trusted(remote, networks):
        return str(remote)
    hop = remote
    for part in reversed(request.META.get(_meta_key(settings.POSC_CLIENT_IP_HEADER), "").split(",")):
        address = _parse(part)
        if address is None:
            break  # not an address: nothing to its left can be believed either
        hop = address
        if not _trusted(address, networks):
            break
    return str(hop)
