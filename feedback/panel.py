"""The ticket page's "Satisfaction & follow-up" panel (registered in FeedbackConfig.ready)."""

from __future__ import annotations

from django.template.loader import render_to_string

from . import selectors
from .forms import ItemCreateForm, ItemLinkForm, PersonalFollowUpForm


def render_ticket_panel(request, ticket) -> str:
    survey = selectors.survey_for_ticket(ticket=ticket)
    context = {
        "ticket": ticket,
        "survey": survey,
        "response": getattr(survey, "response", None) if survey else None,
        "customer_csat": selectors.customer_csat(customer_id=ticket.customer_id),
        "followups": selectors.ticket_followups(ticket=ticket),
        "links": selectors.ticket_feedback_links(ticket=ticket),
        "followup_form": PersonalFollowUpForm(),
        "link_form": ItemLinkForm(),
        "item_form": ItemCreateForm(prefix="item"),
    }
    return render_to_string("feedback/_ticket_panel.html", context, request=request)
