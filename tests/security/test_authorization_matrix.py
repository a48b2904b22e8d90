"""Who may open what: every route in the URL conf, for every kind of visitor.

The routes are read from the URL conf, so a new route without a rule in RULES fails
`test_every_route_has_a_rule` until someone decides who may use it. Each rule is checked by
a GET from an anonymous visitor, a signed-in customer, a light agent, an agent, a manager and
an admin. "Refused" means a redirect to the login page, 401 or 403 — not 404, so a permission
check can never hide behind a missing object; "allowed" means anything but those (a 404 for a
made-up id, a 405 for a POST-only route, are fine). Nobody may ever get a 500.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "light_agent", "agent", "manager", "admin")
EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
STAFF = {"light_agent", "agent", "manager", "admin"}
AGENTS = {"agent", "manager", "admin"}  # staff who may answer customers and change data
MANAGERS = {"manager", "admin"}
ADMINS = {"admin"}

# Framework routes with their own, well-tested rules.
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "api/schema/", "api/docs/", "static/")

RULES: dict[str, set[str]] = {
    # The project: health checks, the root, robots and sitemap.
    **dict.fromkeys(["home", "healthz", "readyz", "robots_txt", "sitemap"], EVERYONE),
    # The API: staff only, except published help-center articles; unknown paths are JSON 404s.
    **dict.fromkeys(
        [
            "api:ticket-list", "api:ticket-detail", "api:ticket-messages",
            "api:attachment-download", "api:customer-list", "api:customer-detail",
            "api:customer-orders", "api:survey-list", "api:survey-detail", "api:view-list",
            "api:view-detail", "api:macro-list", "api:macro-detail",
        ],
        STAFF,
    ),
    **dict.fromkeys(["api:article-list", "api:article-detail", "api:^[\\s\\S]*$"], EVERYONE),
    # The inbox and everything on a ticket: every staff member (light agents are limited to
    # internal notes by the services, which their own tests cover).
    **dict.fromkeys(
        [
            "tickets:inbox", "tickets:detail", "tickets:reply", "tickets:update",
            "tickets:merge", "tickets:bulk", "tickets:attachment", "tickets:macros",
            "tickets:macro-create", "tickets:macro-edit", "tickets:macro-delete",
            "tickets:ticket-macros", "tickets:ticket-macro", "tickets:ticket-macro-apply",
            "tickets:view-create", "tickets:view-edit", "tickets:view-delete",
            "tickets:notifications", "tickets:notifications-read", "tickets:split",
            "tickets:spam", "tickets:sidebar",
        ],
        STAFF,
    ),
    # Customers: staff read; changing who a customer is takes an agent; privacy requests a
    # manager; the audit log, custom fields and shop connections an admin.
    **dict.fromkeys(
        [
            "customers:list", "customers:detail", "customers:note-add", "customers:note-pin",
            "customers:organizations", "customers:organization", "customers:ticket-order",
            "customers:fields-update", "customers:more",
        ],
        STAFF,
    ),
    "customers:merge": AGENTS,
    **dict.fromkeys(
        [
            "customers:block", "customers:unblock", "customers:privacy", "customers:export",
            "customers:import", "customers:import-confirm", "customers:organization_sharing",
        ],
        MANAGERS,
    ),
    "customers:erase": ADMINS,
    **dict.fromkeys(
        [
            "customers:audit", "customers:fields", "customers:field-edit", "customers:shops",
            "customers:shop-new", "customers:shop-edit", "customers:shop-test",
            "customers:shop-sync", "customers:shop-delete",
        ],
        ADMINS,
    ),
    # Channel settings: managers look, admins change; any staff member logs a phone call.
    **dict.fromkeys(
        [
            "agent_settings:mailboxes", "agent_settings:mailbox_edit",
            "agent_settings:social_accounts", "agent_settings:social_edit",
            "livechat:settings", "livechat:settings_edit", "livechat:offer_log",
        ],
        MANAGERS,
    ),
    # Chat offers: the agent offered a chat answers it (the view checks it is theirs).
    **dict.fromkeys(["livechat:offers", "livechat:offer_accept", "livechat:offer_decline"], STAFF),
    **dict.fromkeys(
        [
            "agent_settings:mailbox_create", "agent_settings:mailbox_test",
            "agent_settings:mailbox_poll", "agent_settings:mailbox_set_active",
            "agent_settings:mailbox_delete", "agent_settings:social_create",
            "agent_settings:social_test", "agent_settings:social_set_active",
            "agent_settings:social_webhook", "agent_settings:inbound_release",
            "agent_settings:inbound_retry", "livechat:settings_create",
            "livechat:settings_delete",
        ],
        ADMINS,
    ),
    **dict.fromkeys(["agent_settings:call_log", "agent_settings:ticket_call_log"], STAFF),
    # Social listening: monitors are settings; the feed is read by all staff, and agents
    # who may answer customers file or dismiss its posts.
    **dict.fromkeys(
        ["agent_settings:listening_monitors", "agent_settings:listening_monitor_edit"], MANAGERS
    ),
    **dict.fromkeys(
        [
            "agent_settings:listening_monitor_create", "agent_settings:listening_monitor_delete",
            "agent_settings:listening_monitor_poll",
        ],
        ADMINS,
    ),
    "agent_settings:listening_feed": STAFF,
    **dict.fromkeys(
        ["agent_settings:listening_post_ticket", "agent_settings:listening_post_status"], AGENTS
    ),
    "customers:identity-avatar": STAFF,  # a customer's profile picture, served by us
    "agent_settings:mailbox_backfill": ADMINS,  # reads a mailbox again: like polling it
    # Who is copied on a ticket's mail: agents who may answer customers (not light agents).
    **dict.fromkeys(
        ["agent_settings:ticket_follower_add", "agent_settings:ticket_follower_remove"], AGENTS
    ),
    # Webhooks and the chat widget face the outside: they check signatures, channel keys and
    # tokens themselves, never a session.
    **dict.fromkeys(
        [
            "webhooks:social", "webhooks:inbound_mail", "webhooks:shopify", "webhooks:media",
            "livechat:widget_js", "livechat:config", "livechat:suggest", "livechat:file",
            "livechat:article",
        ],
        EVERYONE,
    ),
    # A chat upload needs the visitor's signed token: no session, staff or not, is enough.
    "livechat:upload": set(),
    # Help center: public pages; "my requests" needs an account; editing takes an agent;
    # structure and reports a manager; the look an admin.
    **dict.fromkeys(
        [
            "knowledge:home", "knowledge:home_lang", "knowledge:faq", "knowledge:category",
            "knowledge:section", "knowledge:article", "knowledge:article_short",
            "knowledge:feedback", "knowledge:search", "knowledge:suggest",
            "knowledge:search_click", "knowledge:contact_beacon", "knowledge:image",
            "knowledge:theme_css", "channels_in:contact", "channels_in:contact_sent",
            "knowledge:bot_ask", "knowledge:bot_solved",
        ],
        EVERYONE,
    ),
    "knowledge:link_search": STAFF,
    **dict.fromkeys(["knowledge:requests", "knowledge:request"], SIGNED_IN),
    **dict.fromkeys(
        [
            "knowledge:manage", "knowledge:manage_new", "knowledge:manage_edit",
            "knowledge:manage_preview", "knowledge:manage_image_upload",
            "knowledge:manage_history", "knowledge:manage_restore",
        ],
        AGENTS,
    ),
    **dict.fromkeys(
        [
            "knowledge:manage_structure", "knowledge:manage_move", "knowledge:manage_add_node",
            "knowledge:manage_reports", "knowledge:manage_section_access",
            "knowledge:manage_category_access",
        ],
        MANAGERS,
    ),
    "knowledge:manage_theme": ADMINS,
    # CSAT and follow-ups: the customer's links carry signed tokens; staff work with items and
    # follow-ups; managers read the report and set surveys up.
    **dict.fromkeys(["feedback:survey", "feedback:followup", "feedback:opt_out"], EVERYONE),
    # NPS: the customer's answer and "no more surveys" links carry signed tokens; campaigns,
    # their results and the CSV are for managers.
    **dict.fromkeys(["feedback:nps_answer", "feedback:nps_opt_out"], EVERYONE),
    **dict.fromkeys(
        [
            "feedback:nps_list", "feedback:nps_create", "feedback:nps", "feedback:nps_edit",
            "feedback:nps_action", "feedback:nps_export", "feedback:nps_preview",
        ],
        MANAGERS,
    ),
    **dict.fromkeys(
        [
            "feedback:items", "feedback:item", "feedback:item_create", "feedback:item_unlink",
            "feedback:followup_create", "feedback:followup_cancel", "feedback:ticket_item_link",
        ],
        STAFF,
    ),
    **dict.fromkeys(
        [
            "feedback:report", "feedback:settings", "feedback:settings_edit",
            "feedback:template_create", "feedback:template_edit",
        ],
        MANAGERS,
    ),
    # Routing and automations are set up by managers.
    **dict.fromkeys(
        [
            "automations:automations", "automations:automation-new", "automations:automation-edit",
            "automations:automation-delete", "automations:move", "automations:routing",
            "automations:routing-new", "automations:routing-edit", "automations:routing-delete",
            "automations:assignment", "automations:team-edit", "automations:agent-edit",
            "automations:webhooks", "automations:webhook-new", "automations:webhook-edit",
            "automations:webhook-delete", "automations:log", "automations:products",
            "automations:product-new", "automations:product-edit", "automations:product-delete",
        ],
        MANAGERS,
    ),
    # Manager dashboards; SLA settings belong to admins.
    **dict.fromkeys(["sla:now", "sla:performance", "sla:performance-csv"], MANAGERS),
    **dict.fromkeys(
        [
            "sla:settings", "sla:policy-new", "sla:policy-edit", "sla:policy-delete",
            "sla:calendars", "sla:calendar-new", "sla:calendar-edit", "sla:calendar-delete",
        ],
        ADMINS,
    ),
}  # fmt: skip


def _routes():
    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                label = pattern.name or str(pattern.pattern)
                yield prefix + str(pattern.pattern), f"{namespace}:{label}" if namespace else label

    for route, name in walk(get_resolver().url_patterns):
        if not route.startswith(SKIPPED_PREFIXES):
            yield route, name


SAMPLE_VALUES = {"int": "999999", "slug": "sample", "str": "sample", "lang": "ja", "path": "x"}


def _concrete(route: str) -> str:
    if "^" in route:  # the API's JSON catch-all
        return "/" + route[: route.index("^")] + "no-such-thing/"
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "x"), route)
    return "/" + path


ROUTES = sorted(set(_routes()))


def test_every_route_has_a_rule():
    missing = sorted(name for _, name in ROUTES if name not in RULES)
    assert not missing, f"routes without an authorization rule in RULES: {missing}"


@pytest.fixture
def visitors(client, django_user_model):
    users = {role: UserFactory(role=role) for role in ROLES if role != "anonymous"}

    def as_role(role: str):
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        return client

    return as_role


def _refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[name for _, name in ROUTES])
def test_each_route_lets_in_exactly_whom_its_rule_says(route, name, visitors):
    allowed = RULES.get(name)
    if allowed is None:
        pytest.fail(f"{name} has no rule")
    path = _concrete(route)
    wrong = []
    for role in ROLES:
        client = visitors(role)
        method = "get"
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        if response.status_code == 405:  # a form's target: ask the way the form does
            method = "post"
            response = client.post(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code < 500, f"{role} {method} {path} → {response.status_code}"
        if role in allowed and _refused(response):
            wrong.append(f"{role} refused ({response.status_code})")
        if role not in allowed and not _refused(response):
            wrong.append(f"{role} let in ({response.status_code})")
    assert not wrong, f"{path}: " + ", ".join(wrong)
