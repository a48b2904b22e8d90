"""The help center's tree (categories, sections, who may read them), cached under a version key.

Every customer request needs the tree: the visibility filter turns audiences into a list of
readable section ids, and pages show names and breadcrumbs. The tree is small and changes
rarely, so it is read once per change instead of once per request: a counter in the shared
cache (the "version") moves on every write to a category or a section (signals below, also
after commit), the tree is stored under that version, and each process keeps the copy of the
version it last saw. The version itself is asked again at most once a second per process
(knowledge.versions), so a request usually costs no cache call and no query for the tree; a
change made in another process is seen within that second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import Audience, Category, Section
from .versions import VersionCounters

# A version entry may be lost (cache flushed, eviction): the tree is then read again, and a
# stale copy lives at most this long even if a change were somehow missed (raw SQL).
TREE_SECONDS = 300


@dataclass(frozen=True)
class Node:
    """Who may read a category or a section: audience and chosen organizations."""

    audience: str
    organization_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class HelpTree:
    version: int
    categories: tuple[Category, ...] = ()
    sections: tuple[Section, ...] = ()  # each with `.category` set, in the site's order
    rules: dict[int, tuple[Node, Node]] = field(default_factory=dict)  # section → (cat, own)

    def section(self, pk: int) -> Section | None:
        return next((s for s in self.sections if s.pk == pk), None)

    def category_by_slug(self, slug: str) -> Category | None:
        return next((c for c in self.categories if c.slug == slug), None)

    def section_by_slug(self, slug: str) -> Section | None:
        return next((s for s in self.sections if s.slug == slug), None)

    def newest_change(self) -> datetime | None:
        return max((n.updated_at for n in (*self.categories, *self.sections)), default=None)


def _version_key() -> str:
    # Per database: processes (and test databases) sharing one Redis never mix their trees.
    return f"kb-tree-version:v1:{connection.settings_dict['NAME']}"


def _tree_key(version: int) -> str:
    return f"kb-tree:v1:{connection.settings_dict['NAME']}:{version}"


_local = threading.local()
_versions = VersionCounters()


def current_version() -> int:
    """The tree's version, asked of the shared cache at most once a VERSION_RECHECK_SECONDS
    per process and database (this process's own writes are seen at once)."""
    return _versions.get(_version_key())


def bump_version() -> None:
    """The tree changed: every process reads it again on its next request."""
    _versions.bump(_version_key())
    _local.__dict__.pop(connection.settings_dict["NAME"], None)


def help_tree() -> HelpTree:
    """The current tree: this thread's copy if still current, else the shared one, else SQL."""
    version = current_version()
    name = connection.settings_dict["NAME"]
    mine = _local.__dict__.get(name)
    if mine is not None and mine.version == version:
        return mine
    tree = cache.get(_tree_key(version))
    if tree is None:
        tree = _read_tree(version)
        cache.set(_tree_key(version), tree, timeout=TREE_SECONDS)
    _local.__dict__[name] = tree
    return tree


def _read_tree(version: int) -> HelpTree:
    categories = {c.pk: c for c in Category.objects.prefetch_related("organizations")}
    sections = sorted(
        Section.objects.defer("reading_list").prefetch_related("organizations"),
        key=lambda s: (categories[s.category_id].position, s.category_id, s.position, s.pk),
    )
    rules = {}
    for section in sections:
        category = categories[section.category_id]
        section.category = category  # no query when a page asks for it
        rules[section.pk] = (_node(category), _node(section))
    return HelpTree(
        version=version,
        categories=tuple(categories.values()),
        sections=tuple(sections),
        rules=rules,
    )


def _node(row: Category | Section) -> Node:
    chosen = frozenset(o.pk for o in row.organizations.all())
    return Node(row.audience, chosen if row.audience == Audience.ORGANIZATIONS else frozenset())


# ------------------------------------------------------------------------ invalidation


def _changed(**kwargs) -> None:
    bump_version()
    # Again once the change is visible to others: a reader between the first bump and the
    # commit may have cached the tree as it was before.
    transaction.on_commit(bump_version)


for _model in (Category, Section):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"kb-tree-save-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"kb-tree-del-{_model.__name__}")
    m2m_changed.connect(
        _changed,
        sender=_model.organizations.through,
        dispatch_uid=f"kb-tree-orgs-{_model.__name__}",
    )
