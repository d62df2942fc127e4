"""Subscribers from a CSV file (email,topics,frequency,weekday,hour,timezone): each row checked like the web form."""

import csv
import io
import logging
from dataclasses import dataclass, field

from django import forms
from django.db import transaction

from subscribers import emails
from subscribers.forms import EmailField, PreferencesForm
from subscribers.models import ConsentEvidence, Subscriber

log = logging.getLogger(__name__)
COLUMNS = ["email", "topics", "frequency", "weekday", "hour", "timezone"]
IMPORTED_FIELDS = ["frequency", "weekday", "hour", "timezone"]
IMPORT_CONSENT = "Opt-in given outside this site; imported as confirmed by an operator."
DEFAULTS = {"frequency": "weekly", "weekday": "0", "hour": "8", "timezone": "UTC"}


class BadFile(Exception):
    """The file as a whole cannot be read; nothing was imported."""


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, email, reason)
    to_confirm: list[Subscriber] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} rejected={len(self.rejected)}"


class ImportRowForm(PreferencesForm):
    email = EmailField()

    def __init__(self, row: dict):
        data = {name: (row.get(name) or "").strip() or DEFAULTS.get(name, "") for name in COLUMNS}
        data["topics"] = data["topics"].split()
        data["paper_count"] = "10"  # not a column: kept on update, the default on create
        super().__init__(data)


def read_rows(content: bytes) -> list[tuple[int, dict]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile("the file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise BadFile(f"missing column(s): {', '.join(missing)}; expected {','.join(COLUMNS)}")
    reader.fieldnames = header
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise BadFile(f"line {reader.line_num}: {exc}") from None


def one_line(form: forms.Form) -> str:
    return "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())


def import_subscribers(content: bytes, confirmed: bool = False) -> ImportReport:
    """Create or update one subscriber per valid row. Opt-outs are kept; new rows wait for their opt-in
    unless `confirmed` says they already gave it elsewhere."""
    report = ImportReport()
    for line, row in read_rows(content):
        form = ImportRowForm(row)
        if not form.is_valid():
            report.rejected.append((line, (row.get("email") or "").strip()[:254], one_line(form)))
            continue
        with transaction.atomic():
            subscriber, created = import_row(form, confirmed)
        if created:
            report.created += 1
        else:
            report.updated += 1
        if subscriber.status == Subscriber.Status.PENDING:
            report.to_confirm.append(subscriber)
    return report


def import_row(form: ImportRowForm, confirmed: bool) -> tuple[Subscriber, bool]:
    address = form.cleaned_data["email"]
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email__iexact=address, defaults={"email": address}
    )
    form.save_to(subscriber, IMPORTED_FIELDS)
    if confirmed:
        subscriber.confirm_imported(ConsentEvidence(IMPORT_CONSENT, user_agent="import_subscribers --confirmed"))
    elif subscriber.status == Subscriber.Status.PENDING:
        subscriber.start_opt_in()
    return subscriber, created


def send_confirmations(report: ImportReport) -> int:
    """Ask every imported address still waiting for its opt-in to confirm (at most once per resend interval)."""
    sent = 0
    for subscriber in report.to_confirm:
        try:
            sent += emails.notify(subscriber)
        except OSError:
            log.exception("could not send the confirmation email to imported subscriber %s", subscriber.pk)
    return sent
