"""Fixed-window rate limits in the Django cache (Redis in production), keyed by a hash, never the raw value."""

import hashlib

from django.core.cache import cache


def allow(scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt; False once more than `limit` were made in the current `window` seconds."""
    cache_key = f"ratelimit:{scope}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window)
        count = 1
    return count <= limit
