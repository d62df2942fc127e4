import re

import pytest
from django.core.management import CommandError, call_command

from subscribers.models import Consent, Subscriber
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db

HEADER = "email,topics,frequency,weekday,hour,timezone\n"


def run(tmp_path, capsys, text: str, *args) -> tuple[list[str], str]:
    path = tmp_path / "readers.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_subscribers", str(path), *args)
    out, err = capsys.readouterr()
    return out.strip().splitlines(), err


def test_it_creates_confirmed_subscribers_and_reports_the_rejected_lines(tmp_path, capsys, topics, smtp_server):
    lines, err = run(
        tmp_path, capsys,
        HEADER
        + "ada@example.com,llm vision,daily,2,7,Europe/Paris\n"
        + "Alan@Example.com,llm,,,,\n"
        + "jörg@example.com,llm,weekly,0,8,UTC\n"
        + "eve@example.com,astrology,weekly,0,8,UTC\n"
        + "bob@example.com,llm,weekly,0,24,Mars/Base\n",
        "--confirmed",
    )  # fmt: skip
    assert lines[-1] == "created=2 updated=0 rejected=3"
    assert "line 4: jörg@example.com: email: The part before the @ must use ASCII" in err
    assert "line 5: eve@example.com: topics: Unknown topic: astrology." in err
    assert "line 6: bob@example.com: hour: The hour must be between 0 and 23.; timezone: Unknown time zone" in err
    ada = Subscriber.objects.get(email="ada@example.com")
    assert (ada.status, ada.topic_slugs, ada.frequency, ada.weekday, ada.hour) == (
        "active",
        ["llm", "vision"],
        "daily",
        2,
        7,
    )
    alan = Subscriber.objects.get(email="Alan@example.com")
    assert (alan.frequency, alan.weekday, alan.hour, alan.timezone) == ("weekly", 0, 8, "UTC")
    assert Consent.objects.filter(user_agent="import_subscribers --confirmed").count() == 2
    assert not smtp_server.messages


def test_without_confirmed_new_rows_wait_for_their_opt_in_and_get_a_link(tmp_path, capsys, topics, smtp_server):
    lines, _ = run(tmp_path, capsys, HEADER + "ada@example.com,llm,weekly,0,8,UTC\n")
    assert lines == ["confirmation emails sent: 1", "created=1 updated=0 rejected=0"]
    assert Subscriber.objects.get().status == "pending"
    assert smtp_server.messages[0].message["Subject"] == "Confirm your Paperboy subscription"


def test_it_updates_existing_rows_but_never_resubscribes_an_opt_out(tmp_path, capsys, topics, smtp_server):
    make_subscriber("ada@example.com", topics=["llm"], paper_count=5)
    make_subscriber("gone@example.com", status="unsubscribed")
    lines, _ = run(
        tmp_path, capsys,
        HEADER + "ADA@example.com,vision,daily,0,9,UTC\ngone@example.com,llm,weekly,0,8,UTC\n",
        "--confirmed",
    )  # fmt: skip
    assert lines[-1] == "created=0 updated=2 rejected=0"
    ada = Subscriber.objects.get(email="ada@example.com")
    assert (ada.topic_slugs, ada.frequency, ada.hour, ada.paper_count) == (["vision"], "daily", 9, 5)
    assert Subscriber.objects.get(email="gone@example.com").status == "unsubscribed"
    assert not smtp_server.messages


def test_running_the_same_file_twice_creates_nothing_new(tmp_path, capsys, topics):
    text = HEADER + "ada@example.com,llm,weekly,0,8,UTC\n"
    run(tmp_path, capsys, text, "--confirmed")
    lines, _ = run(tmp_path, capsys, text, "--confirmed")
    assert lines[-1] == "created=0 updated=1 rejected=0"
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email,topics\nada@example.com,llm\n", "missing column(s): frequency, weekday, hour, timezone"),
        (b"\xff\xfe not text", "the file is not UTF-8 text"),
    ],
)
def test_it_stops_on_a_bad_file_with_one_line_and_changes_nothing(tmp_path, topics, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("import_subscribers", str(path))
    assert not Subscriber.objects.exists()


def test_it_names_a_missing_file(tmp_path, db):
    with pytest.raises(CommandError, match="cannot read .*nope.csv: No such file or directory"):
        call_command("import_subscribers", str(tmp_path / "nope.csv"))
