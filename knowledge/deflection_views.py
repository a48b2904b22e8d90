"""The contact page's deflection beacon (navigator.sendBeacon): small, rate-limited, no PII."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from .deflection import BeaconRejected, check_beacon_rate, record_contact_event

MAX_BEACON_BYTES = 2048


@require_POST
def contact_beacon(request: HttpRequest, lang: str) -> HttpResponse:
    """POST form fields `form`, `event` (view/suggested/opened), `count`, `article` → 204."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BEACON_BYTES:
        return JsonResponse({"detail": "Too large."}, status=413)
    # The session ties the visit to the help-center searches made before it.
    request.session["kb_reader"] = True
    if request.session.session_key is None:
        request.session.save()
    session_key = request.session.session_key
    if not check_beacon_rate(session_key=session_key):
        return JsonResponse({"detail": "Too many events."}, status=429)
    try:
        record_contact_event(
            form_token=request.POST.get("form", ""),
            event=request.POST.get("event", ""),
            language=lang,
            session_key=session_key,
            count=_small_int(request.POST.get("count")),
            article_id=_small_int(request.POST.get("article")) or None,
            viewer=request.user,
        )
    except BeaconRejected as error:
        return JsonResponse({"detail": str(error)}, status=400)
    return HttpResponse(status=204)


def _small_int(raw: str | None) -> int:
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) < 10 else 0
