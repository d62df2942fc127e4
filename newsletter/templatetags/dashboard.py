"""Filters for the admin dashboard: numbers with thousands separators, ages in words."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def thousands(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


@register.filter
def age(delta: timedelta | None) -> str:
    """A timedelta as the largest two units that matter: '3 d 4 h', '2 h 5 min', '40 s'."""
    if delta is None:
        return "never"
    seconds = max(int(delta.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"
