"""Pages reached through a signed link are never stored by browsers or proxies.

The token in their URL is the reader's key (and the page shows their address and choices): a shared
computer's cache or a proxy must not keep a copy. Any URL with a `token` argument counts, whichever app
serves it, so a new signed-link page is covered without remembering to decorate it.
"""

from django.utils.cache import add_never_cache_headers


class NoStoreForSignedLinks:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and "token" in match.kwargs:
            # Replaces any shorter-lived caching a view chose (the personal feed's private max-age).
            response.headers.pop("Cache-Control", None)
            add_never_cache_headers(response)
        return response
