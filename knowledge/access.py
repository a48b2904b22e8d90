"""Who may read and who may write a section: the help center's permissions, in one module.

Reading is decided per category and per section (their `audience`: a section inherits its
category's and may only narrow it, a reader must be in both) and turned into a query filter
here, which `knowledge.selectors.visible_filter` adds to every read customers can reach: portal pages,
search (help center, contact form, widget, bot, the articles API), the sitemap and JSON-LD.
So a section's articles are never reachable by a viewer outside its audience, whatever the
entry point, and they answer 404 exactly like articles that do not exist.

Writing: managers and admins arrange and edit everything; agents (not light agents) edit the
sections whose editor roles and teams they match (no roles and no teams: every agent).
"""

from __future__ import annotations

import contextlib

from django.db.models import Q

from helpdesk.models import Role

from .models import Audience, Category, Section
from .structure import Node, help_tree

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


def _admits(node: Node, viewer, organizations: tuple[int, ...]) -> bool:
    """Whether a customer-side `viewer` is in one audience (staff never get here)."""
    if node.audience == Audience.EVERYONE:
        return True
    if not getattr(viewer, "is_authenticated", False):
        return False
    if node.audience == Audience.SIGNED_IN:
        return True
    if node.audience == Audience.ORGANIZATIONS:
        return not node.organization_ids.isdisjoint(organizations)
    return False  # agents only


def readable_section_ids(viewer) -> list[int] | None:
    """The sections `viewer` may read: in their category's audience *and* their own.

    None means every section (staff). Anonymous visitors (and `None`, e.g. the sitemap) get
    the sections whose category and section are both open to everyone. Decided in Python
    over the cached tree (knowledge.structure), remembered on the viewer for the request.
    """
    if is_staff_viewer(viewer):
        return None
    tree = help_tree()
    remembered = getattr(viewer, "_kb_readable", None)
    if remembered is not None and remembered[0] == tree.version:
        return remembered[1]
    organizations = viewer_organization_ids(viewer)
    readable = [
        pk
        for pk, (category, own) in tree.rules.items()
        if _admits(category, viewer, organizations) and _admits(own, viewer, organizations)
    ]
    if viewer is not None:
        # A viewer that takes no attributes is simply computed again next time.
        with contextlib.suppress(AttributeError):
            viewer._kb_readable = (tree.version, readable)
    return readable


def readable_sections_filter(viewer, prefix: str = "") -> Q | None:
    """The Section rows (reached through `prefix`) whose audience includes `viewer`.

    A list of ids, not a join: the readable sections are known before the query, so search
    and listings filter articles on their own `section_id` column.
    """
    readable = readable_section_ids(viewer)
    if readable is None:
        return None
    return Q(**{f"{prefix}id__in": readable})


def can_read_section(viewer, section: Section) -> bool:
    readable = readable_section_ids(viewer)
    return readable is None or section.pk in readable


def can_read_category(viewer, category: Category) -> bool:
    """Some section of the category is readable (its page and crumbs may be shown)."""
    readable = readable_section_ids(viewer)
    if readable is None:
        return True
    tree = help_tree()
    return any(s.category_id == category.pk for s in tree.sections if s.pk in set(readable))


def section_is_public(section: Section) -> bool:
    """Readable by anonymous visitors: what shared caches and crawlers may be given."""
    return section.pk in (readable_section_ids(None) or ())


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
