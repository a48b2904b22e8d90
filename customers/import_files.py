"""Keeps an uploaded order CSV between "preview" and "import" without trusting the browser.

The file goes to the default storage (shared by every web replica) under a random name; the
browser only holds a signed token naming that file and the user who uploaded it, valid for an
hour. Nobody else can confirm it, and a tampered token is refused.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils import timezone

MAX_IMPORT_BYTES = 5 * 1024 * 1024
TOKEN_MAX_AGE = 60 * 60
_SALT = "customers.order-import"
_FOLDER = "order-imports"


class ImportFileGone(Exception):
    """The token is forged, expired, someone else's, or its file was already imported."""


class ImportSizeLimit(FileUploadHandler):
    """Stops reading an uploaded file at MAX_IMPORT_BYTES, so an oversized one (even with a
    lying Content-Length) never fills memory or disk; the form then reports it missing."""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > MAX_IMPORT_BYTES:
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


def import_file_keep(*, data: bytes, user_id: int) -> str:
    _discard_stale()
    name = default_storage.save(f"{_FOLDER}/{secrets.token_hex(16)}.csv", ContentFile(data))
    return signing.dumps({"file": name, "user": user_id}, salt=_SALT, compress=True)


def import_file_read(*, token: str, user_id: int) -> tuple[str, bytes]:
    """(storage name, content) of the file the token names."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise ImportFileGone from exc
    name = payload.get("file", "")
    if payload.get("user") != user_id or not name.startswith(f"{_FOLDER}/"):
        raise ImportFileGone
    try:
        with default_storage.open(name, "rb") as handle:
            return name, handle.read()
    except FileNotFoundError as exc:
        raise ImportFileGone from exc


def import_file_discard(name: str) -> None:
    default_storage.delete(name)


def _discard_stale() -> None:
    """Previews nobody confirmed: their tokens have expired, so their files can go."""
    try:
        _folders, files = default_storage.listdir(_FOLDER)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - timedelta(seconds=TOKEN_MAX_AGE)
    for filename in files:
        name = f"{_FOLDER}/{filename}"
        try:
            if default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
        except FileNotFoundError:
            continue  # another request cleaned it up first
