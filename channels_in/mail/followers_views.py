"""The ticket page's "Followers" panel, and the two small views that change the list.

Any staff member who can see the ticket sees who is copied; changing who receives the
customer-facing mail is answering the customer, so it takes an agent who may reply publicly
(light agents get 403). A ticket the viewer cannot see is a 404, as everywhere.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Identity
from customers.privacy import sees_contact_details
from helpdesk.roles import staff_required
from tickets import panels
from tickets.models import Ticket, TicketFollower
from tickets.selectors import ticket_for_agent

from . import followers

MAIL_CHANNELS = ("email", "web")  # the channels whose replies leave by mail


class FollowerForm(forms.Form):
    address = forms.CharField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)


def panel_query() -> panels.PanelQuery:
    """The followers with their identity and who added them (the sidebar's panel query, see
    tickets.panels): what `followers.ticket_followers` loads, without building an ORM query
    on every ticket page (~2 ms of CPU)."""
    obj = panels.json_object_sql
    user = get_user_model()
    sql = (
        f"(SELECT jsonb_agg({obj(TicketFollower, 'f')} || jsonb_build_object("  # noqa: S608 - names from models
        f"'identity', {obj(Identity, 'i')}, 'added_by', (SELECT {obj(user, 'u')} "
        f'FROM "{user._meta.db_table}" u WHERE u.id = f.added_by_id)) '
        f'ORDER BY f.created_at, f.id) FROM "{TicketFollower._meta.db_table}" f '
        f'JOIN "{Identity._meta.db_table}" i ON i.id = f.identity_id '
        "WHERE f.ticket_id = %s)"
    )
    return panels.PanelQuery(sql, (panels.TICKET_ID,))


def render_panel(
    request: HttpRequest,
    ticket: Ticket,
    data: list | None = panels.NOT_READ,
    form: FollowerForm | None = None,
) -> str:
    if ticket.channel not in MAIL_CHANNELS:
        return ""
    if data is panels.NOT_READ:
        data = panels.panel_data(panel_query, ticket)
    user = request.user
    return render_to_string(
        "channels_in/followers_panel.html",
        {
            "ticket": ticket,
            "followers": panels.instances(
                TicketFollower, data, identity=Identity, added_by=get_user_model()
            ),
            "can_change": user.can_reply_publicly,
            # The empty form is built only when the template's shellcache misses.
            "form": form or SimpleLazyObject(lambda: FollowerForm(auto_id="follower_%s")),
            "form_bound": form is not None and form.is_bound,
            "show_contact_details": sees_contact_details(user),
            "limit": followers.MAX_FOLLOWERS,
        },
        request=request,
    )


def _changeable_ticket(request: HttpRequest, ticket_pk: int) -> Ticket:
    # Permission before method: a light agent is refused whatever they send.
    if not request.user.can_reply_publicly:
        raise PermissionDenied(_("Only agents who answer customers can change who is copied."))
    return ticket_for_agent(ticket_id=ticket_pk, viewer=request.user)


def _panel(request: HttpRequest, ticket: Ticket, form: FollowerForm | None = None) -> HttpResponse:
    """What htmx swaps in place of the panel (a refused add keeps its error in the form)."""
    return HttpResponse(render_panel(request, ticket, form=form))


@staff_required
def follower_add(request: HttpRequest, ticket_pk: int) -> HttpResponse:
    ticket = _changeable_ticket(request, ticket_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = FollowerForm(request.POST, auto_id="follower_%s")
    if form.is_valid():
        try:
            follower = followers.follower_add(
                ticket=ticket,
                address=form.cleaned_data["address"],
                display_name=form.cleaned_data["name"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error("address", exc.messages[0])
        else:
            if request.htmx:  # the panel shows the new row; a flash would show up later
                return _panel(request, ticket)
            messages.success(
                request,
                _("%(address)s will be copied on replies.") % {"address": follower.identity.handle},
            )
            return redirect("tickets:detail", pk=ticket.pk)
    if request.htmx:
        return _panel(request, ticket, form)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("tickets:detail", pk=ticket.pk)


@staff_required
def follower_remove(request: HttpRequest, ticket_pk: int, follower_pk: int) -> HttpResponse:
    ticket = _changeable_ticket(request, ticket_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    removed = followers.follower_remove(ticket=ticket, follower_id=follower_pk)
    if request.htmx:
        return _panel(request, ticket)
    if removed:
        messages.success(request, _("No longer copied on replies."))
    else:
        messages.error(request, _("That person was not following this ticket."))
    return redirect("tickets:detail", pk=ticket.pk)
