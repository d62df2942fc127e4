"""The admin app with Paperboy's staff site (lockout-aware login with a second factor) as its default site.

Kept apart from `newsletter.staff_auth` because INSTALLED_APPS imports this module before models can load.
"""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "newsletter.staff_auth.StaffAdminSite"
