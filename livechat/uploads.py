"""Files visitors attach: checked by their bytes (not the name or the browser's claim)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile

from .models import ChatUpload, ChatVisitor
from .services import ChatError, rate_limited

MAX_UPLOAD_BYTES = min(settings.MAX_ATTACHMENT_BYTES, 10 * 1024 * 1024)
UPLOADS_PER_HOUR = 60

# Leading bytes → the type we store and serve it as.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff_type(head: bytes) -> str:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


def create_upload(visitor: ChatVisitor, upload) -> ChatUpload:
    """Store one uploaded file (a Django UploadedFile) for a later `message` frame."""
    if upload is None:
        raise ChatError("no_file", "attach a file in the field named file")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ChatError("too_large", f"files may be at most {MAX_UPLOAD_BYTES // 1048576} MB")
    if upload.size == 0:
        raise ChatError("empty_file", "the file is empty")
    content = upload.read()
    content_type = sniff_type(content[:16])
    if not content_type:
        raise ChatError("bad_type", "only images (PNG, JPEG, GIF, WebP) and PDF files")
    if rate_limited("upload", visitor.uid.hex, UPLOADS_PER_HOUR, window=3600):
        raise ChatError("rate_limited", "too many files; wait a while")
    name = (upload.name or "file").replace("/", "_").replace("\\", "_")[-200:]
    item = ChatUpload(visitor=visitor, filename=name, content_type=content_type, size=len(content))
    item.file.save(item.token, ContentFile(content), save=False)
    item.save()
    return item
