"""Staff pages of NPS campaigns (managers and admins): list, form, results, actions, CSV.

Thin: parse, call a selector or service, render or redirect.
"""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpdesk.roles import staff_required
from tickets.models import Channel

from .models import CampaignStatus, NpsCampaign
from .nps_forms import NpsCampaignForm
from .selectors import nps as nps_selectors
from .services import nps_campaigns

COMMENT_FILTERS = ("promoter", "passive", "detractor")


def _manager(view):
    """Managers and admins only (after `staff_required` has sent everyone else away)."""

    def wrapper(request, *args, **kwargs):
        if not request.user.can_manage:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return staff_required(wrapper)


def _labels(choices, values) -> str:
    names = {value: str(label) for value, label in choices}
    return ", ".join(names.get(value, value) for value in values)


def _error_text(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", [])) or str(exc)


@_manager
@require_GET
def campaign_list(request):
    return render(
        request,
        "feedback/nps_list.html",
        {"rows": nps_selectors.campaigns_with_numbers()},
    )


@_manager
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int | None = None):
    campaign = get_object_or_404(NpsCampaign, pk=pk) if pk else NpsCampaign()
    if campaign.pk and campaign.status != CampaignStatus.DRAFT:
        messages.info(request, _("A started campaign cannot be changed."))
        return redirect("feedback:nps", pk=campaign.pk)
    form = NpsCampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            with_m2m = form.save(commit=False)
            nps_campaigns.save_campaign(campaign=with_m2m, actor=request.user)
            form.save_m2m()
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("feedback:nps", pk=with_m2m.pk)
    return render(
        request,
        "feedback/nps_form.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


@_manager
@require_GET
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(NpsCampaign, pk=pk)
    category = request.GET.get("comments", "")
    category = category if category in COMMENT_FILTERS else ""
    context = {
        "campaign": campaign,
        "results": nps_selectors.campaign_results(campaign),
        "comments": nps_selectors.campaign_comments(campaign, category=category),
        "comments_filter": category,
        "organizations": list(campaign.organizations.order_by("name")),
        "language_labels": _labels(settings.LANGUAGES, campaign.languages),
        "channel_labels": _labels(Channel.choices, campaign.channels),
    }
    return render(request, "feedback/nps_detail.html", context)


@_manager
@require_GET
def campaign_preview(request, pk: int):
    """How many the draft's segment holds now (loaded after the page: on a large customer base
    the counts take a few seconds, and the page should not wait for them)."""
    campaign = get_object_or_404(NpsCampaign, pk=pk)
    eligible = nps_campaigns.eligible_customers(campaign).count()
    preview = {
        "segment": nps_campaigns.segment_customers(campaign).count(),
        "eligible": eligible,
        "sample": nps_campaigns.sample_size(campaign, eligible),
    }
    return render(request, "feedback/_nps_preview.html", {"preview": preview})


ACTIONS = {
    "start": (nps_campaigns.start_campaign, gettext_lazy("Campaign started.")),
    "pause": (nps_campaigns.pause_campaign, gettext_lazy("Campaign paused.")),
    "finish": (
        nps_campaigns.finish_campaign,
        gettext_lazy("Campaign finished: nothing more will be sent."),
    ),
}


@_manager
@require_POST
def campaign_action(request, pk: int):
    campaign = get_object_or_404(NpsCampaign, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            nps_campaigns.delete_campaign(campaign=campaign, actor=request.user)
            messages.success(request, _("Draft deleted."))
            return redirect("feedback:nps_list")
        if action == "duplicate":
            copy = nps_campaigns.duplicate_campaign(campaign=campaign, actor=request.user)
            messages.success(request, _("Copied as a new draft: check it and start it."))
            return redirect("feedback:nps_edit", pk=copy.pk)
        if action == "throttle":
            raw = request.POST.get("throttle_per_hour", "").strip()
            if not raw.isdecimal() or len(raw) > 7:
                raise ValidationError(_("Give the number of surveys an hour as a whole number."))
            nps_campaigns.change_throttle(campaign=campaign, actor=request.user, per_hour=int(raw))
            messages.success(request, _("Sending pace changed."))
            return redirect("feedback:nps", pk=pk)
        if action not in ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect("feedback:nps", pk=pk)
        service, done = ACTIONS[action]
        service(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, str(done))
    return redirect("feedback:nps", pk=pk)


class _Echo:
    def write(self, value):
        return value


@_manager
@require_GET
def campaign_export(request, pk: int):
    """Every answer as CSV (UTF-8 with BOM, so Excel in Japan opens it right)."""
    campaign = get_object_or_404(NpsCampaign, pk=pk)
    writer = csv.writer(_Echo())
    header = [
        _("Answered at"),
        _("Score"),
        _("Category"),
        _("Comment"),
        _("Customer ID"),
        _("Organization"),
        _("Tags"),
        _("VIP"),
        _("Language"),
        _("Channel"),
        _("Sent at"),
        _("Changes"),
    ]
    categories = {
        "promoter": _("Promoter"),
        "passive": _("Passive"),
        "detractor": _("Detractor"),
    }

    def cell(text: str) -> str:
        # A cell starting with = + - @ is a formula to a spreadsheet: customers' words never are.
        return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for row in nps_selectors.export_rows(campaign):
            yield writer.writerow(
                [
                    timezone.localtime(row.answered_at).isoformat(timespec="seconds"),
                    row.score,
                    categories[row.category],
                    cell(row.comment),
                    row.customer_id,
                    cell(row.organization.name if row.organization else ""),
                    cell(" ".join(row.tags)),
                    "1" if row.vip else "0",
                    row.language,
                    row.channel,
                    timezone.localtime(row.sent_at).isoformat(timespec="seconds")
                    if row.sent_at
                    else "",
                    row.changes,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nps-campaign-{campaign.pk}.csv"'
    return response
