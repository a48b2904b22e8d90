"""Images in articles: checked on upload, stored under MEDIA_ROOT, served from our own origin.

The type is read from the file's first bytes, never from its name or the browser's claim, and
only raster formats are taken (no SVG: it can carry script). The stored name is a random token,
which is also the only form of image URL `helpdesk.html.sanitize_html` lets through.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.models import User

from .models import ArticleImage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# (magic prefix, offset, content type, extension)
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"GIF87a", 0, "image/gif", "gif"),
    (b"GIF89a", 0, "image/gif", "gif"),
    (b"WEBP", 8, "image/webp", "webp"),
]


def sniff_image(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PNG, JPEG, GIF or WebP by its first bytes, else None."""
    for magic, offset, content_type, extension in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if extension == "webp" and not head.startswith(b"RIFF"):
                continue
            return content_type, extension
    return None


@transaction.atomic
def store_article_image(*, upload: UploadedFile, uploaded_by: User | None) -> ArticleImage:
    """Check and keep one uploaded image. Raises ValidationError with a reason a person reads."""
    if upload.size is None or upload.size == 0:
        raise ValidationError(_("The file is empty."))
    if upload.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("Images may be at most %(size)s MB.") % {"size": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    content = upload.read(MAX_IMAGE_BYTES + 1)
    if len(content) > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("Images may be at most %(size)s MB.") % {"size": MAX_IMAGE_BYTES // (1024 * 1024)}
        )
    kind = sniff_image(content[:16])
    if kind is None:
        raise ValidationError(_("Only PNG, JPEG, GIF and WebP images can be used in articles."))
    content_type, extension = kind
    image = ArticleImage(
        token=secrets.token_hex(16),
        content_type=content_type,
        extension=extension,
        original_name=(upload.name or "")[:255],
        size=len(content),
        uploaded_by=uploaded_by,
    )
    image.file.save(f"{image.token}.{extension}", ContentFile(content), save=False)
    image.save()
    return image


def image_by_name(name: str) -> ArticleImage | None:
    token, _dot, extension = name.partition(".")
    if len(token) != 32 or not extension:
        return None
    return ArticleImage.objects.filter(token=token, extension=extension).first()


def markdown_for(image: ArticleImage) -> str:
    alt = (image.original_name.rsplit(".", 1)[0] or "image").replace("]", "").replace("[", "")
    return f"![{alt}]({image.url})"
