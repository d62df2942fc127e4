"""Staff sign-in: the admin site with a second factor (TOTP through django-otp) on top of the password.

django-axes (settings: AXES_*) locks out guessed passwords by account and by IP before this form sees them.
A staff member with a confirmed authenticator must give its code at every login. With ADMIN_REQUIRE_2FA, a
staff member without one can open only the page that sets one up; without it the code stays optional until
they set one up themselves.
"""

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


def confirmed_device(user) -> TOTPDevice | None:
    """The user's authenticator, looked up once per request (the user object lives as long as the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_confirmed_device"):
        user._confirmed_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    return user._confirmed_device


def check_code(device: TOTPDevice, code: str) -> str:
    """ "" when `code` is the device's current one, else the reason in one line (django-otp throttles guesses)."""
    code = "".join(code.split())
    if not code:
        return "Enter the 6-digit code from your authenticator app."
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return "Too many wrong codes: wait a minute, then try again."
    return "" if device.verify_token(code) else "That code is wrong or has expired: try the one shown now."


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        required=False,
        label="Authenticator code",
        help_text="Only if you set up an authenticator app.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 12}),
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        device = confirmed_device(user)
        if device is None:
            return  # the site decides whether staff without an authenticator may in (ADMIN_REQUIRE_2FA)
        error = check_code(device, self.cleaned_data.get("otp_token", ""))
        if error:
            raise forms.ValidationError(error, code="otp")
        user.otp_device = device  # django-otp marks the session verified when user_logged_in fires


class StaffAdminSite(admin.AdminSite):
    login_form = StaffLoginForm
    login_template = "admin/staff_login.html"

    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        if request.user.is_verified():
            return True
        # A password alone is enough only for staff who have no authenticator and are not required to have one.
        return not settings.ADMIN_REQUIRE_2FA and confirmed_device(request.user) is None

    def login(self, request, extra_context=None):
        if needs_setup(request):
            return redirect("admin:two_factor")
        return super().login(request, extra_context)

    def get_urls(self):
        return [path("two-factor/", two_factor, name="two_factor"), *super().get_urls()]


def needs_setup(request) -> bool:
    """Signed in with a password, required to have an authenticator, and without one yet."""
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and settings.ADMIN_REQUIRE_2FA
        and not user.is_verified()
        and confirmed_device(user) is None
    )


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Set up an authenticator app: scan the code (or type the key), then prove it with one code."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return redirect(reverse("admin:login") + f"?next={request.path}")
    if confirmed_device(user) is not None:
        return TemplateResponse(request, "admin/two_factor.html", page_context(request, None, ""))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, confirmed=False
    )
    error = ""
    if request.method == "POST":
        error = check_code(device, request.POST.get("otp_token", ""))
        if not error:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up: every login now asks for its code.")
            return redirect("admin:index")
    return TemplateResponse(
        request, "admin/two_factor.html", page_context(request, device, error), status=400 if error else 200
    )


def page_context(request, device: TOTPDevice | None, error: str) -> dict:
    context = {**admin.site.each_context(request), "title": "Two-factor login", "device": device, "error": error}
    # Until the second factor is set up, the admin's menus lead nowhere but back here.
    context.update(is_nav_sidebar_enabled=False, available_apps=[])
    if device is not None:
        context["qr_code"] = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
        key = device.config_url.split("secret=")[1].split("&")[0]
        context["secret"] = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    return context
