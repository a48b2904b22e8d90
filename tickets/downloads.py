"""Serving a stored attachment: the same safe response for the agent pages and the API."""

from __future__ import annotations

from django.http import FileResponse

from .models import Attachment


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,  # never rendered inline: a customer's HTML/SVG is not our page
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
