"""The stored profile picture of an identity, for staff pages (never a hotlink elsewhere)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from helpdesk.roles import staff_required

from .models import Identity


@staff_required
@require_GET
def identity_avatar(request, pk: int):
    identity = get_object_or_404(Identity.objects.only("pk", "avatar"), pk=pk)
    if not identity.avatar:
        raise Http404
    try:
        handle = identity.avatar.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    # The URL carries the picture's version (?v=…): a browser may keep it, a proxy may not.
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
