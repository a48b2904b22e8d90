"""Who may read and who may write a section: the help center's permissions, in one module.

Reading is decided per section (its `audience`) and turned into a query filter here, which
`knowledge.selectors.visible_filter` adds to every read customers can reach: portal pages,
search (help center, contact form, widget, bot, the articles API), the sitemap and JSON-LD.
So a section's articles are never reachable by a viewer outside its audience, whatever the
entry point, and they answer 404 exactly like articles that do not exist.

Writing: managers and admins arrange and edit everything; agents (not light agents) edit the
sections whose editor roles and teams they match (no roles and no teams: every agent).
"""

from __future__ import annotations

from django.db.models import Q

from helpdesk.models import Role

from .models import Audience, Section

# Audiences a signed-in customer belongs to whatever their organization.
_CUSTOMER_AUDIENCES = (Audience.EVERYONE, Audience.SIGNED_IN)
# Roles an agent-level editor restriction may name (managers and admins always edit).
EDITOR_ROLE_CHOICES = [(Role.AGENT.value, Role.AGENT.label)]


def is_staff_viewer(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_staff_member)


def viewer_organization_ids(viewer) -> tuple[int, ...]:
    """Organizations of the customers this signed-in account is (through verified emails).

    Remembered on the user object: one request asks once, however many reads it makes.
    """
    if not getattr(viewer, "is_authenticated", False) or viewer.is_staff_member:
        return ()
    cached = getattr(viewer, "_kb_organization_ids", None)
    if cached is None:
        from .portal import portal_access  # the same rule as "My requests": verified emails only

        access = portal_access(viewer)
        cached = tuple(
            sorted(
                {
                    i.customer.organization_id
                    for i in access.identities
                    if i.customer.organization_id
                }
            )
        )
        viewer._kb_organization_ids = cached
    return cached


def readable_sections_filter(viewer, prefix: str = "") -> Q | None:
    """The Section rows (reached through `prefix`) whose audience includes `viewer`.

    None means every section (staff). Anonymous visitors (and `None`, e.g. the sitemap) get
    the sections open to everyone.
    """
    if is_staff_viewer(viewer):
        return None
    if not getattr(viewer, "is_authenticated", False):
        return Q(**{f"{prefix}audience": Audience.EVERYONE})
    readable = Q(**{f"{prefix}audience__in": _CUSTOMER_AUDIENCES})
    organizations = viewer_organization_ids(viewer)
    if organizations:
        # A subquery, not a join on the many-to-many: a section in two of the customer's
        # organizations must not list its articles twice.
        chosen = Section.organizations.through.objects.filter(
            organization_id__in=organizations
        ).values("section_id")
        readable |= Q(**{f"{prefix}audience": Audience.ORGANIZATIONS, f"{prefix}id__in": chosen})
    return readable


def section_is_public(section: Section) -> bool:
    """Readable by anonymous visitors: what shared caches and crawlers may be given."""
    return section.audience == Audience.EVERYONE


# ------------------------------------------------------------------------ writing


def can_edit_section(user, section: Section) -> bool:
    from .permissions import can_edit_articles

    if not can_edit_articles(user):
        return False
    if user.can_manage:
        return True
    if section.editor_roles and user.role not in section.editor_roles:
        return False
    team_ids = {team.pk for team in section.editor_teams.all()}
    return not team_ids or bool(team_ids & set(user.teams.values_list("pk", flat=True)))


def editable_sections(user):
    """Sections this user may put articles in (the editor's choice list)."""
    from .permissions import can_edit_articles

    sections = Section.objects.select_related("category").order_by(
        "category__position", "category_id", "position", "id"
    )
    if not can_edit_articles(user):
        return sections.none()
    if user.can_manage:
        return sections
    by_role = Q(editor_roles=[]) | Q(editor_roles__contains=[user.role])
    by_team = Q(editor_teams__isnull=True) | Q(editor_teams__members=user)
    matching = Section.objects.filter(by_role & by_team).values("pk")
    return sections.filter(pk__in=matching)
