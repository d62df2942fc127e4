"""The subscribe form and the preferences form: one set of choices, each bad value answered in one clear line."""

import re
import time
import zoneinfo

from django import forms
from django.conf import settings
from django.core import signing

from papers.models import Topic
from subscribers.email_address import canonical_email
from subscribers.models import Subscriber

TIMEZONES = sorted(zoneinfo.available_timezones())
# Given to the field as a callable: Django deep-copies a list of choices for every form it builds, and copying
# these ~600 pairs was 1.3 of the 1.5 ms a subscribe form took to build (profiled on the shared machine).
TIMEZONE_CHOICES = [(zone, zone) for zone in TIMEZONES]
WEEKDAYS = list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 60
PREFERENCE_FIELDS = ["follow_keywords", "mute_keywords", "frequency", "weekday", "hour", "timezone", "paper_count"]
FORM_STARTED_SALT = "paperboy.form-started"


class KeywordsField(forms.CharField):
    """Comma- or line-separated keywords, stored as a lower-cased list without repeats."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault("error_messages", {"max_length": "Keep the keywords under %(limit_value)d characters."})
        kwargs.setdefault("widget", forms.TextInput(attrs={"placeholder": "e.g. diffusion, mixture of experts"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value):
        text = super().clean(value)
        keywords = list(dict.fromkeys(k.strip().lower() for k in re.split(r"[,\n]", text) if k.strip()))
        if len(keywords) > MAX_KEYWORDS:
            raise forms.ValidationError(f"Up to {MAX_KEYWORDS} keywords, please.")
        for keyword in keywords:
            if len(keyword) > MAX_KEYWORD_LENGTH:
                raise forms.ValidationError(f"Keep each keyword under {MAX_KEYWORD_LENGTH} characters.")
        return keywords


class PreferencesForm(forms.Form):
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.none(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Pick at least one topic.",
            "invalid_choice": "Unknown topic: %(value)s.",
            "invalid_pk_value": "Unknown topic: %(pk)s.",
        },
    )
    follow_keywords = KeywordsField(label="Keywords to follow", help_text="Papers mentioning these rank higher.")
    mute_keywords = KeywordsField(label="Keywords to mute", help_text="Papers mentioning these are left out.")
    frequency = forms.ChoiceField(
        choices=Subscriber.Frequency.choices,
        initial=Subscriber.Frequency.WEEKLY,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "The frequency must be weekly or daily."},
    )
    weekday = forms.TypedChoiceField(
        coerce=int, choices=WEEKDAYS, initial=0, label="Day", help_text="For weekly digests.",
        error_messages={"invalid_choice": "Pick a day of the week."},
    )  # fmt: skip
    hour = forms.TypedChoiceField(
        coerce=int, choices=HOURS, initial=8, label="Time",
        error_messages={"invalid_choice": "The hour must be between 0 and 23."},
    )  # fmt: skip
    timezone = forms.ChoiceField(
        choices=lambda: TIMEZONE_CHOICES, initial="UTC", label="Time zone",
        error_messages={"invalid_choice": "Unknown time zone: %(value)s. Use a name like Europe/Paris."},
    )  # fmt: skip
    paper_count = forms.IntegerField(
        min_value=3, max_value=25, initial=10, label="Papers per email",
        error_messages={
            "min_value": "At least %(limit_value)s papers per email.",
            "max_value": "At most %(limit_value)s papers per email.",
            "invalid": "The number of papers must be a whole number from 3 to 25.",
        },
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].queryset = Topic.objects.filter(active=True)
        self.fields["timezone"].widget.attrs["data-browser-timezone"] = "1"

    @classmethod
    def for_subscriber(cls, subscriber: Subscriber, data=None) -> "PreferencesForm":
        initial = {name: getattr(subscriber, name) for name in PREFERENCE_FIELDS}
        initial["topics"] = subscriber.topic_slugs
        return cls(data, initial=initial)

    def chosen(self) -> dict:
        """The valid choices as JSON, for an address that must confirm before they take effect."""
        choices = {name: self.cleaned_data[name] for name in PREFERENCE_FIELDS}
        choices["topics"] = sorted(topic.slug for topic in self.cleaned_data["topics"])
        return choices

    def save_to(self, subscriber: Subscriber, fields: list[str] = PREFERENCE_FIELDS) -> None:
        schedule_changed = any(
            name in fields and getattr(subscriber, name) != self.cleaned_data[name] for name in SCHEDULE_FIELDS
        )
        for name in fields:
            setattr(subscriber, name, self.cleaned_data[name])
        update = [*fields, "updated_at"]
        if schedule_changed:
            # The digest scheduler gives a subscriber without a send time a new one in their new schedule.
            subscriber.next_digest_at = None
            update.append("next_digest_at")
        subscriber.save(update_fields=update)
        subscriber.set_topics(self.cleaned_data["topics"])


def form_started_token() -> str:
    return signing.dumps(int(time.time()), salt=FORM_STARTED_SALT)


SCHEDULE_FIELDS = ("frequency", "weekday", "hour", "timezone")


class EmailField(forms.CharField):
    widget = forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "you@example.com", "maxlength": 254})

    def clean(self, value):
        return canonical_email(super().clean(value))


class BotTrapMixin(forms.Form):
    """A field people never see and a signed start time: naive bots fill the one and hurry past the other."""

    website = forms.CharField(required=False, label="Leave this empty", widget=forms.TextInput(
        attrs={"tabindex": "-1", "autocomplete": "off"}
    ))  # fmt: skip
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started"].initial = form_started_token()

    def looks_automated(self) -> bool:
        if self.data.get("website"):
            return True
        try:
            started = signing.loads(self.data.get("started", ""), salt=FORM_STARTED_SALT)
        except signing.BadSignature:
            return True
        return time.time() - started < getattr(settings, "SUBSCRIBE_MIN_FILL_SECONDS", 3)


class SubscribeForm(BotTrapMixin, PreferencesForm):
    email = EmailField(label="Email address", error_messages={"required": "Please enter your email address."})

    field_order = ["email", "topics"]


class ResendForm(BotTrapMixin):
    email = EmailField(label="Email address", error_messages={"required": "Please enter your email address."})
