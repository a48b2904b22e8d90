"""Side panels other apps add to the agent's ticket page without `tickets` importing them.

An app registers a renderer in its AppConfig.ready(); the ticket page shows each panel's HTML
(rendered from the app's own template, so it is escaped there) in the sidebar, in `order`.
A renderer returns "" when it has nothing to show for this ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Ticket

PanelRenderer = Callable[["HttpRequest", "Ticket"], str]


@dataclass(frozen=True)
class _Panel:
    name: str
    order: int
    render: PanelRenderer


_panels: dict[str, _Panel] = {}


def register_panel(name: str, render: PanelRenderer, *, order: int = 100) -> None:
    _panels[name] = _Panel(name, order, render)


def render_panels(request: HttpRequest, ticket: Ticket) -> list[SafeString]:
    panels = sorted(_panels.values(), key=lambda panel: (panel.order, panel.name))
    # Each renderer returns the output of render_to_string: already escaped by its template.
    return [mark_safe(html) for panel in panels if (html := panel.render(request, ticket))]  # noqa: S308
