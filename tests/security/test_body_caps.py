"""Request bodies are capped while they are read: an oversized upload is refused before most of it arrives."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from papers.models import IngestionRun
from subscribers.models import Subscriber
from tests.factories import make_topic
from tests.subscribers.conftest import form_data

pytestmark = pytest.mark.django_db
BOUNDARY = "pbBOUNDARY"
MB = 1024 * 1024


class SlowUpload:
    """A multipart body of `size` bytes made as it is read, counting what the server read of it."""

    def __init__(self, fields: dict, file_field: str, size: int):
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
        )
        head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.json"\r\n'
        head += "Content-Type: application/json\r\n\r\n"
        self.head, self.tail = head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()
        self.filler = size - len(self.head) - len(self.tail)
        self.length = size
        self.position = 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.length - self.position
        out = bytearray()
        while n > 0 and self.position < self.length:
            if self.position < len(self.head):
                piece = self.head[self.position : self.position + n]
            elif self.position < len(self.head) + self.filler:
                piece = b"[" * min(n, len(self.head) + self.filler - self.position)
            else:
                start = self.position - len(self.head) - self.filler
                piece = self.tail[start : start + n]
            out += piece
            self.position += len(piece)
            n -= len(piece)
        return bytes(out)

    def readline(self, *args) -> bytes:  # the WSGI input interface; Django reads in chunks
        return self.read(*args)


def post(client, path: str, body: SlowUpload):
    environ = {
        "wsgi.input": body,
        "CONTENT_LENGTH": str(body.length),
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
    }
    return client.generic("POST", path, b"", **environ)


@pytest.fixture(autouse=True)
def temp_files_in_tmp_path(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("ops@example.com", "ops@example.com", "a long enough password")
    client.force_login(user)
    return client


def test_it_refuses_a_50_mb_file_part_to_the_subscribe_form_before_reading_it(client):
    client.raise_request_exception = False
    body = SlowUpload({"email": "ada@example.com"}, "attachment", 50 * MB)
    response = post(client, "/subscribe/", body)
    assert response.status_code == 400
    assert body.position < 1 * MB
    assert not Subscriber.objects.exists()


def test_it_refuses_a_small_file_part_beside_a_valid_subscribe_form(client):
    cache.clear()  # the per-IP sign-up limit lives in the cache
    make_topic("llm")
    client.raise_request_exception = False
    fields = {k: v for k, v in form_data().items() if k != "topics"} | {"topics": "llm"}
    body = SlowUpload(fields, "attachment", 64 * 1024)
    assert post(client, "/subscribe/", body).status_code == 400
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    ("path", "fields"),
    [("/admin/papers/ingestionrun/upload/", {"source": ""}), ("/admin/subscribers/subscriber/import/", {})],
)
def test_it_refuses_an_oversized_admin_upload_or_import_before_reading_it(staff_client, path, fields):
    staff_client.raise_request_exception = False
    body = SlowUpload(fields, "file", 40 * MB)
    assert post(staff_client, path, body).status_code == 400
    assert body.position < 1 * MB
    assert not IngestionRun.objects.exists()


def test_it_still_takes_an_admin_upload_under_the_cap(staff_client):
    body = SlowUpload({"source": ""}, "file", 1 * MB)
    response = post(staff_client, "/admin/papers/ingestionrun/upload/", body)
    assert response.status_code == 302
    assert IngestionRun.objects.get().status == IngestionRun.Status.FAILED  # a megabyte of "[": read, and refused
