from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from newsletter.models import Delivery
from tests.factories import make_paper, make_subscriber

MONDAY_8 = datetime(2026, 11, 30, 8, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.frozen(MONDAY_8)]


def test_send_digests_sends_what_is_due_and_prints_a_summary_last(smtp_server, capsys):
    make_paper(topics={"llm": 0.9}, trending_date=date(2026, 11, 29))
    make_subscriber("due@example.com", topics=["llm"], next_digest_at=MONDAY_8)
    make_subscriber("bored@example.com", topics=["llm"], mute_keywords=["paper"], next_digest_at=MONDAY_8)
    make_subscriber("later@example.com", topics=["llm"], next_digest_at=datetime(2026, 12, 7, 8, tzinfo=UTC))
    call_command("send_digests", "--now", "2026-11-30T08:03:00+00:00")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "due=2 sent=1 skipped=1 failed=0"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["due@example.com"]]
    call_command("send_digests", "--now", "2026-11-30T08:08:00")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "due=0 sent=0 skipped=0 failed=0"


def test_send_digests_rejects_a_malformed_time_and_changes_nothing():
    make_subscriber(next_digest_at=MONDAY_8)
    with pytest.raises(CommandError, match="--now 'monday' is not an ISO-8601"):
        call_command("send_digests", "--now", "monday")
    assert not Delivery.objects.exists()


def test_preview_digest_prints_the_digest_without_recording_it(capsys):
    make_paper(topics={"llm": 0.9}, title="Sparse attention for all", trending_date=date(2026, 11, 29))
    make_subscriber("ada@example.com", topics=["llm"])
    call_command("preview_digest", "ADA@example.com", "--now", "2026-11-30T08:00:00")
    out = capsys.readouterr().out
    assert "Sparse attention for all" in out and "Matches your topic: Language models" in out
    assert out.strip().splitlines()[-1].startswith("papers=1 new=1 html_bytes=")
    call_command("preview_digest", "ada@example.com", "--now", "2026-11-30T08:00:00", "--html")
    assert '<a href="https://huggingface.co/papers/' in capsys.readouterr().out
    assert not Delivery.objects.exists()


def test_preview_digest_names_an_unknown_email():
    with pytest.raises(CommandError, match="no subscriber with the email 'nobody@example.com'"):
        call_command("preview_digest", "nobody@example.com")
