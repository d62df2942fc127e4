"""The address a request came from, trusting X-Forwarded-For only as far as the configured proxies go.

Each proxy appends the address it received the request from, so with TRUSTED_PROXY_COUNT = N the client is
the N-th entry from the right; anything to its left was written by the client and proves nothing. With no
proxy configured (0) the header is ignored and the socket's peer (REMOTE_ADDR) is the client.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's IP address in canonical form, or "" when it cannot be told."""
    count = settings.TRUSTED_PROXY_COUNT
    address = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        # Fewer hops than proxies: the request did not come through them all, so nothing in it is trusted.
        address = hops[-count] if len(hops) >= count else ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""
