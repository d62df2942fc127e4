"""Request bodies are capped while they are read, not after they have arrived.

Django reads a multipart body whole, streaming file parts to memory or a temporary file, before any form or
view can look at a file's size. This handler, first in FILE_UPLOAD_HANDLERS, refuses while reading: a body
announced larger than UPLOAD_MAX_BYTES before its first byte is read, a file part on a page outside the admin
(no public form takes a file), and a file that grows past the cap however its body was announced. Django
answers the refusal (RequestDataTooBig) with a 400. Form fields other than files stay under Django's own
DATA_UPLOAD_MAX_MEMORY_SIZE.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

ADMIN_PREFIX = "/admin/"


class CappedUploadHandler(FileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > settings.UPLOAD_MAX_BYTES:
            raise RequestDataTooBig(f"a body of {content_length} bytes is over UPLOAD_MAX_BYTES")
        return None  # go on: the next handlers store the files

    def new_file(self, field_name, file_name, *args, **kwargs):
        if not self.request.path.startswith(ADMIN_PREFIX):
            raise RequestDataTooBig(f"a file part ({field_name}) sent to {self.request.path}, which takes no file")
        self.received = 0
        return super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise RequestDataTooBig(f"a file over UPLOAD_MAX_BYTES ({settings.UPLOAD_MAX_BYTES} bytes)")
        return raw_data  # the next handler keeps it

    def file_complete(self, file_size):
        return None  # the next handler makes the file
