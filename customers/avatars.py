"""Profile pictures of channel identities: checked, re-encoded, stored and served by us.

A platform gives us a picture URL (LINE `pictureUrl`, Meta `profile_pic`, X
`profile_image_url`, a Telegram file). The channel adapter downloads it; this module decides
whether the bytes are a picture we keep. Whatever arrives is decoded and drawn again as a small
square JPEG, so what we serve is never the outside file itself: no hidden payload, no EXIF (GPS
position), no oversized image, and pages load it from our own origin (CSP `img-src 'self'`).
"""

from __future__ import annotations

import io
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .models import Identity

# What we accept from a platform: a small picture. Profile pictures are well under this.
MAX_SOURCE_BYTES = 2 * 1024 * 1024
# Decoding cost is in pixels, not bytes: a tiny PNG can claim 50,000 × 50,000.
MAX_SOURCE_PIXELS = 4096 * 4096
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
ACCEPTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
# Stored size: shown at 28–40 CSS pixels, sharp on 2× screens.
SIZE = 96


class AvatarRefused(ValueError):
    """The file is not a picture we keep (too large, not an image, broken). Not retried."""


def normalized_avatar(content: bytes, content_type: str = "") -> bytes:
    """The picture as a SIZE×SIZE JPEG, centre-cropped. Raises AvatarRefused."""
    from PIL import Image, UnidentifiedImageError

    if len(content) > MAX_SOURCE_BYTES:
        raise AvatarRefused(f"the picture is larger than {MAX_SOURCE_BYTES} bytes")
    kind = content_type.split(";")[0].strip().lower()
    if kind and kind not in ACCEPTED_TYPES and kind != "application/octet-stream":
        raise AvatarRefused(f"not a picture ({kind})")
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise AvatarRefused(f"unsupported picture format {image.format}")
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_SOURCE_PIXELS:
                raise AvatarRefused(f"unreasonable picture size {width}×{height}")
            image.seek(0)  # the first frame of an animated GIF / WebP
            picture = image.convert("RGBA")
    except AvatarRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise AvatarRefused(f"not a readable picture: {exc}") from exc
    # Transparent parts become white rather than black.
    flat = Image.new("RGB", picture.size, (255, 255, 255))
    flat.paste(picture, mask=picture.getchannel("A"))
    side = min(flat.size)
    left, top = (flat.width - side) // 2, (flat.height - side) // 2
    square = flat.crop((left, top, left + side, top + side)).resize(
        (SIZE, SIZE), Image.Resampling.LANCZOS
    )
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def avatar_is_current(identity: Identity, source: str) -> bool:
    return bool(identity.avatar) and identity.avatar_source == source[:1000]


@transaction.atomic
def set_identity_avatar(identity: Identity, *, content: bytes, content_type: str, source: str):
    """Store a new picture for the identity (replacing, and deleting, the old file).

    Raises AvatarRefused and leaves the old picture in place when the bytes are not one.
    """
    picture = normalized_avatar(content, content_type)
    identity = Identity.objects.select_for_update().get(pk=identity.pk)
    old = identity.avatar.name if identity.avatar else ""
    identity.avatar.save(f"{secrets.token_hex(8)}.jpg", ContentFile(picture), save=False)
    identity.avatar_source = source[:1000]
    identity.avatar_updated_at = timezone.now()
    identity.save(update_fields=["avatar", "avatar_source", "avatar_updated_at"])
    if old:
        storage = identity.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return identity


@transaction.atomic
def clear_identity_avatar(identity: Identity, *, source: str = "") -> None:
    """The platform says there is no picture (any more): drop ours. `source` remembers what
    was checked, so the same answer is not asked for again."""
    identity = Identity.objects.select_for_update().get(pk=identity.pk)
    old = identity.avatar.name if identity.avatar else ""
    identity.avatar = ""
    identity.avatar_source = source[:1000]
    identity.avatar_updated_at = timezone.now()
    identity.save(update_fields=["avatar", "avatar_source", "avatar_updated_at"])
    if old:
        storage = identity.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))


@receiver(post_delete, sender=Identity, dispatch_uid="customers.avatars.delete_file")
def _delete_avatar_file(sender, instance: Identity, **kwargs) -> None:
    # An erased or merged-away identity leaves no picture of the person behind on disk.
    if instance.avatar:
        name, storage = instance.avatar.name, instance.avatar.storage
        transaction.on_commit(lambda: storage.delete(name))
