"""Chat offers for agents (JSON, used by static/livechat/offers.js on every agent page) and
the routing record for managers (Settings → Live chat → Chat offers)."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.models import User
from helpdesk.roles import staff_required

from . import offers
from .errors import ChatError
from .models import ChatOffer, OfferStatus
from .settings_views import settings_viewer_required

PAGE_SIZE = 50


def _labels() -> dict[str, str]:
    return {
        "title": _("Chat waiting for you"),
        "accept": _("Accept"),
        "decline": _("Decline"),
        "seconds": _("%(seconds)s s left"),
        "waiting": _("Waiting %(minutes)s min"),
        "expired": _("The offer timed out: the chat went to the next agent."),
        "gone": _("This chat was taken or ended."),
        "failed": _("Could not answer the offer. Try again."),
        "customer": _("Customer"),
        "region": _("Chat offers"),
    }


@staff_required
@require_GET
def my_offers(request):
    """The offers waiting for this agent now (a page loaded after the `chat.offer` event)."""
    return JsonResponse(
        {
            "offers": offers.pending_offers_for(request.user),
            "labels": _labels(),
            "csrf": get_token(request),
        }
    )


def _error(exc: ChatError, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=status)


@staff_required
@require_POST
def offer_accept(request, pk: int):
    try:
        ticket = offers.accept_offer(offer_id=pk, agent=request.user)
    except offers.OfferGone as exc:
        return _error(exc, 409)
    except ChatError as exc:
        return _error(exc, 404)
    return JsonResponse({"ticket": ticket.pk, "url": reverse("tickets:detail", args=[ticket.pk])})


@staff_required
@require_POST
def offer_decline(request, pk: int):
    try:
        offer = offers.decline_offer(offer_id=pk, agent=request.user)
    except offers.OfferGone as exc:
        return _error(exc, 409)
    except ChatError as exc:
        return _error(exc, 404)
    return JsonResponse({"offer": offer.pk, "status": offer.status})


@settings_viewer_required
@require_GET
def offer_log(request):
    """Who was offered which chat, when, and what came of it; with each agent's counts."""
    since_days = request.GET.get("days") if request.GET.get("days") in ("1", "7", "30") else "7"
    since = timezone.now() - timedelta(days=int(since_days))
    rows = ChatOffer.objects.filter(offered_at__gte=since).select_related(
        "agent", "ticket", "channel"
    )
    status = request.GET.get("status", "")
    if status in OfferStatus.values:
        rows = rows.filter(status=status)
    agent_id = request.GET.get("agent", "")
    if agent_id.isdecimal():
        rows = rows.filter(agent_id=int(agent_id))
    page = Paginator(rows.order_by("-offered_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    summary = offers.offer_summary(since)
    context = {
        "page": page,
        "summary": summary,
        "statuses": OfferStatus.choices,
        "status": status,
        "agents": User.objects.filter(chat_offers__offered_at__gte=since)
        .distinct()
        .order_by("name", "email"),
        "agent": agent_id,
        "days": since_days,
    }
    return render(request, "livechat/settings/offer_log.html", context)
