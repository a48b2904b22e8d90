"""Files on X replies: the chunked media upload, then the media ids on the post or DM.

Contract (docs.x.com, "Chunked media upload", POST/GET /2/media/upload):
- INIT: multipart `command=INIT, media_type, total_bytes, media_category` →
  `{"data": {"id", "media_key", "expires_after_secs"}}`; the category says where the file goes
  (`dm_image` / `dm_video` / `dm_gif` for a DM, `tweet_image` / `tweet_video` / `tweet_gif` for
  a post);
- APPEND: multipart `command=APPEND, media_id, segment_index` + the chunk as `media`
  (at most 5 MB a chunk) → 2xx, empty body;
- FINALIZE: `command=FINALIZE, media_id` → `{"data": {"id", "size", "processing_info"?}}`;
- STATUS (only when FINALIZE returned `processing_info`): GET `?command=STATUS&media_id=…` →
  `processing_info.state` pending → in_progress → succeeded | failed, `check_after_secs`;
- then a post carries `"media": {"media_ids": [...]}` (up to 4 pictures, or 1 video / GIF)
  and a DM `"attachments": [{"media_id"}]` (one file per DM).

An upload's id is kept (cache, shorter than X keeps it) per delivery and file, so a delivery
retried after a lost response or a long processing wait does not upload the file again.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from tickets.models import Message

from . import social_http
from .registry import PermanentDeliveryError
from .social_common import refuse
from .social_media import OutgoingFile, outgoing_files

log = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024  # X takes at most 5 MB a chunk
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
LIMITS = {
    "image": 5 * 1024 * 1024,
    "gif": 15 * 1024 * 1024,
    "video": 512 * 1024 * 1024,
}
MAX_POST_IMAGES = 4
# How long one delivery attempt waits for X to process a video before trying again later.
MAX_PROCESSING_WAIT = 60
MEDIA_ID_TTL = 12 * 60 * 60  # X keeps an upload for about a day
_sleep = time.sleep  # tests replace it: the fake server's check_after_secs is not waited out


class MediaProcessing(social_http.ProviderUnavailable):
    """X is still processing the file: the delivery is tried again later (same media id)."""


def family(item: OutgoingFile) -> str:
    if item.content_type == "image/gif":
        return "gif"
    if item.content_type in IMAGE_TYPES:
        return "image"
    if item.content_type == "video/mp4":
        return "video"
    return ""


def check_files(message: Message, *, public: bool) -> None:
    """Refuse, in the agent's reply transaction, files X would refuse."""
    files = outgoing_files(message)
    for item in files:
        kind = family(item)
        if not kind:
            refuse(
                _(
                    "X cannot receive the file “%(name)s” (%(type)s): send JPEG, PNG, WebP or "
                    "GIF pictures or an MP4 video."
                )
                % {"name": item.filename, "type": item.content_type}
            )
        if item.size > LIMITS[kind]:
            refuse(
                _("“%(name)s” is too large for X (at most %(limit)s).")
                % {"name": item.filename, "limit": filesizeformat(LIMITS[kind])}
            )
    if public and files:
        kinds = [family(item) for item in files]
        moving = [k for k in kinds if k in ("gif", "video")]
        if moving and len(files) > 1:
            refuse(_("A post on X carries one video or GIF, or up to four pictures, not both."))
        if len(files) > MAX_POST_IMAGES:
            refuse(_("A post on X carries at most %(n)s pictures.") % {"n": MAX_POST_IMAGES})


def upload_files(
    *, base: str, headers: dict, delivery_id: int, message: Message, public: bool
) -> list[str]:
    """Upload every file of the reply; returns the media ids in order."""
    return [
        upload_one(base=base, headers=headers, delivery_id=delivery_id, item=item, public=public)
        for item in outgoing_files(message)
    ]


def upload_one(
    *, base: str, headers: dict, delivery_id: int, item: OutgoingFile, public: bool
) -> str:
    key = f"x-media:{delivery_id}:{item.attachment.pk}"
    media_id = cache.get(key)
    url = f"{base}/2/media/upload"
    if media_id:
        # Uploaded by an earlier attempt: only its processing may still be under way.
        _wait_for_processing(url, headers, media_id, None)
        return media_id
    kind = family(item)
    category = ("tweet_" if public else "dm_") + kind
    with item.attachment.file.open("rb") as handle:
        content = handle.read()
    init = _post(
        url,
        headers,
        {
            "command": "INIT",
            "media_type": item.content_type,
            "total_bytes": str(len(content)),
            "media_category": category,
        },
    )
    media_id = str(
        (init.body.get("data") or {}).get("id") or init.body.get("media_id_string") or ""
    )
    if not media_id:
        raise PermanentDeliveryError(
            _("X did not start the upload of “%(name)s”.") % {"name": item.filename}
        )
    for index, start in enumerate(range(0, len(content), CHUNK_BYTES)):
        _post(
            url,
            headers,
            {"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
            files={
                "media": (
                    item.filename,
                    content[start : start + CHUNK_BYTES],
                    "application/octet-stream",
                )
            },
        )
    final = _post(url, headers, {"command": "FINALIZE", "media_id": media_id})
    cache.set(key, media_id, timeout=MEDIA_ID_TTL)
    data = final.body.get("data") or final.body
    _wait_for_processing(url, headers, media_id, data.get("processing_info"))
    return media_id


def _wait_for_processing(url: str, headers: dict, media_id: str, info: dict | None) -> None:
    """Return once X says the file is ready; raise MediaProcessing to come back later."""
    if info is None and not cache.get(f"x-media-pending:{media_id}"):
        return  # FINALIZE said nothing about processing: ready at once
    waited = 0.0
    while True:
        if info is not None:
            state = info.get("state", "")
            if state == "succeeded":
                cache.delete(f"x-media-pending:{media_id}")
                return
            if state == "failed":
                error = info.get("error") or {}
                raise PermanentDeliveryError(
                    _("X could not process the file: %(reason)s")
                    % {"reason": error.get("message") or error.get("name") or state}
                )
            cache.set(f"x-media-pending:{media_id}", 1, timeout=MEDIA_ID_TTL)
            pause = min(max(float(info.get("check_after_secs") or 1), 1.0), 10.0)
            if waited + pause > MAX_PROCESSING_WAIT:
                raise MediaProcessing(f"X is still processing media {media_id}")
            _sleep(pause)
            waited += pause
        response = social_http.request(
            "GET", url, params={"command": "STATUS", "media_id": media_id}, headers=headers
        )
        if not response.ok:
            raise PermanentDeliveryError(_upload_error(response))
        data = response.body.get("data") or response.body
        info = data.get("processing_info") or {"state": "succeeded"}


def _post(url: str, headers: dict, fields: dict, files: dict | None = None):
    # Every command is multipart/form-data; httpx sends that only with files, so INIT and
    # FINALIZE send their fields as form parts of their own.
    parts = files or {name: (None, value) for name, value in fields.items()}
    response = social_http.request(
        "POST", url, data=fields if files else None, files=parts, headers=headers
    )
    if not response.ok:
        raise PermanentDeliveryError(_upload_error(response))
    return response


def _upload_error(response: social_http.ProviderResponse) -> str:
    body = response.body
    errors = body.get("errors") or []
    detail = (
        (errors[0].get("message") if errors and isinstance(errors[0], dict) else "")
        or body.get("detail")
        or body.get("title")
        or response.text[:300]
    )
    return _("X refused the file upload (HTTP %(status)s): %(detail)s") % {
        "status": response.status,
        "detail": detail,
    }
