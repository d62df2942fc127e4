import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from subscribers.models import Subscriber
from tests.factories import make_subscriber

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscribers/subscriber/"


@pytest.fixture
def readers(topics):
    return [
        make_subscriber("ada@example.com", topics=["llm"], timezone="Europe/Paris"),
        make_subscriber("alan@example.com", topics=["vision"], status="paused", frequency="daily"),
        make_subscriber("grace@example.com", topics=["llm", "vision"], status="pending"),
    ]


def act(admin_client, action: str, subscribers):
    data = {"action": action, "_selected_action": [s.pk for s in subscribers]}
    return admin_client.post(CHANGELIST, data)


def test_it_lists_subscribers_with_filters_and_search_in_few_queries(
    admin_client, readers, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        html = admin_client.get(CHANGELIST).content.decode()
    for heading in ["By status", "By topics", "By frequency", "By timezone"]:
        assert heading in html
    assert "Import CSV" in html and "llm vision" in html
    filtered = admin_client.get(CHANGELIST, {"status__exact": "paused"}).content.decode()
    assert "alan@example.com" in filtered and "ada@example.com" not in filtered
    searched = admin_client.get(CHANGELIST, {"q": "grace"}).content.decode()
    assert "grace@example.com" in searched and "alan@example.com" not in searched


def test_its_actions_pause_and_unsubscribe_only_where_that_makes_sense(admin_client, readers):
    act(admin_client, "pause", readers)
    assert dict(Subscriber.objects.values_list("email", "status")) == {
        "ada@example.com": "paused", "alan@example.com": "paused", "grace@example.com": "pending",
    }  # fmt: skip
    act(admin_client, "unsubscribe", readers[:2])
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"unsubscribed", "pending"}


def test_it_deletes_selected_subscribers(admin_client, readers):
    data = {"action": "delete_selected", "_selected_action": [readers[0].pk], "post": "yes"}
    admin_client.post(CHANGELIST, data)
    assert not Subscriber.objects.filter(email="ada@example.com").exists() and Subscriber.objects.count() == 2


def test_it_exports_csv_that_the_import_reads_back(admin_client, readers, tmp_path, capsys):
    from django.core.management import call_command

    response = act(admin_client, "export_csv", readers)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["email"] for r in rows] == ["ada@example.com", "alan@example.com", "grace@example.com"]
    assert (
        rows[2]["topics"] == "llm vision" and rows[1]["frequency"] == "daily" and rows[0]["timezone"] == "Europe/Paris"
    )

    path = tmp_path / "export.csv"
    path.write_bytes(response.content)
    call_command("import_subscribers", str(path), "--confirmed")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "created=0 updated=3 rejected=0"


def test_it_exports_personal_data_as_json(admin_client, readers):
    data = json.loads(act(admin_client, "export_personal_data", readers[:1]).content)
    assert data[0]["email"] == "ada@example.com" and data[0]["topics"][0]["slug"] == "llm"


def test_the_upload_imports_rows_and_reports_each_rejected_line(admin_client, topics, smtp_server):
    content = (
        b"email,topics,frequency,weekday,hour,timezone\n"
        b"new@example.com,llm,weekly,0,8,UTC\n"
        b"bad@@example.com,llm,weekly,0,8,UTC\n"
        b"odd@example.com,llm,monthly,0,8,UTC\n"
    )
    upload = SimpleUploadedFile("readers.csv", content, content_type="text/csv")
    response = admin_client.post(f"{CHANGELIST}import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200 and "created=1 updated=0 rejected=2" in html
    assert "<td>3</td><td>bad@@example.com</td>" in html and "<td>4</td><td>odd@example.com</td>" in html
    assert "frequency: The frequency must be weekly or daily." in html
    assert "confirmation emails sent: 1" in html and len(smtp_server.messages) == 1
    assert Subscriber.objects.get().status == "pending"


def test_the_upload_explains_a_file_it_cannot_read(admin_client, db):
    upload = SimpleUploadedFile("readers.csv", b"name,address\nx,y\n", content_type="text/csv")
    html = admin_client.post(f"{CHANGELIST}import/", {"file": upload}).content.decode()
    assert "Nothing was imported: missing column(s): email, topics" in html
    assert not Subscriber.objects.exists()


def test_the_upload_page_needs_staff(client, db):
    response = client.get(f"{CHANGELIST}import/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
