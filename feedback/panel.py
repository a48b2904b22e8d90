"""The ticket page's "Satisfaction & follow-up" panel (registered in FeedbackConfig.ready).

Its data (the survey and its answer, the customer's CSAT so far, the follow-ups, the linked
feedback items and the open items to link) is one jsonb value of the sidebar's single panel
query (`panel_query`, see tickets.panels): five ORM queries cost ~10 ms of CPU per sidebar.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject

from tickets import panels

from .forms import ItemCreateForm, ItemLinkForm, PersonalFollowUpForm
from .models import FeedbackItem, FeedbackLink, FollowUp, ItemStatus, Survey, SurveyResponse
from .selectors.csat import score

PANEL_FOLLOWUPS = 10
# The items ItemLinkForm offers (its queryset): the open ones, newest change first.
_CLOSED = (ItemStatus.DONE, ItemStatus.DECLINED)


def _q(model) -> str:
    return f'"{model._meta.db_table}"'


def panel_query() -> panels.PanelQuery:
    obj = panels.json_object_sql
    sql = (
        "(SELECT jsonb_build_object("  # noqa: S608 - names from models, values bound
        # Survey.objects.filter(ticket=…).select_related("response").first()
        f"'survey', (SELECT {obj(Survey, 's')} || jsonb_build_object('response', "
        f"(SELECT {obj(SurveyResponse, 'r')} FROM {_q(SurveyResponse)} r "
        f"WHERE r.survey_id = s.id)) FROM {_q(Survey)} s WHERE s.ticket_id = %s "
        "ORDER BY s.send_at DESC, s.id DESC LIMIT 1), "
        f"'csat', (SELECT jsonb_build_array(COUNT(*), COUNT(*) FILTER (WHERE c.is_good)) "
        f"FROM {_q(SurveyResponse)} c WHERE c.customer_id = %s), "
        f"'followups', (SELECT jsonb_agg({obj(FollowUp, 'f')} ORDER BY f.due_at DESC, f.id DESC) "
        f"FROM (SELECT * FROM {_q(FollowUp)} WHERE ticket_id = %s "
        "ORDER BY due_at DESC, id DESC LIMIT %s) f), "
        f"'links', (SELECT jsonb_agg({obj(FeedbackLink, 'l')} || jsonb_build_object('item', "
        f"{obj(FeedbackItem, 'i')}) ORDER BY l.created_at DESC, l.id DESC) "
        f"FROM {_q(FeedbackLink)} l JOIN {_q(FeedbackItem)} i ON i.id = l.item_id "
        "WHERE l.ticket_id = %s), "
        "'items', (SELECT jsonb_agg(jsonb_build_array(o.id, o.title) "
        f"ORDER BY o.updated_at DESC, o.id DESC) FROM {_q(FeedbackItem)} o "
        "WHERE o.status NOT IN (%s, %s))"
        "))"
    )
    params = (
        panels.TICKET_ID,
        panels.CUSTOMER_ID,
        panels.TICKET_ID,
        PANEL_FOLLOWUPS,
        panels.TICKET_ID,
        *map(str, _CLOSED),
    )
    return panels.PanelQuery(sql, params)


def render_ticket_panel(request, ticket, data: dict[str, Any] | None = panels.NOT_READ) -> str:
    if data is panels.NOT_READ:
        data = panels.panel_data(panel_query, ticket)
    surveys = panels.instances(Survey, [data["survey"]] if data["survey"] else [])
    if surveys and data["survey"].get("response"):
        response = panels.instances(SurveyResponse, [data["survey"]["response"]])[0]
        surveys[0]._state.fields_cache["response"] = response
    survey = surveys[0] if surveys else None
    responses, good = data["csat"]
    context = {
        "ticket": ticket,
        "survey": survey,
        "response": getattr(survey, "response", None) if survey else None,
        "customer_csat": {"responses": responses, "good": good, "score": score(good, responses)},
        "followups": panels.instances(FollowUp, data["followups"]),
        "links": panels.instances(FeedbackLink, data["links"], item=FeedbackItem),
        # Built only when the template's shellcache misses (forms deep-copy their fields).
        "followup_form": SimpleLazyObject(PersonalFollowUpForm),
        "link_form": SimpleLazyObject(ItemLinkForm),
        # The item select is the same markup while the open items are: rendered once per
        # language and list of items (the template's shellcache), its query then skipped.
        "link_items_key": hashlib.blake2b(repr(data["items"]).encode(), digest_size=12).hexdigest(),
        "item_form": SimpleLazyObject(lambda: ItemCreateForm(prefix="item")),
    }
    return render_to_string("feedback/_ticket_panel.html", context, request=request)
