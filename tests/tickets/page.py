"""Open the agent's ticket page as a browser does: the page, then its side panels.

The page answers first; the customer's details and the apps' panels come from the URL its
`data-side-lazy` box names (htmx fetches it on load). Tests that read a panel get both.
"""

from __future__ import annotations

import html
import re

_LAZY = re.compile(r'<div class="side-lazy" hx-get="([^"]+)"[^>]*>.*?</div>', re.S)


def sidebar_url(page: str) -> str:
    found = _LAZY.search(page)
    assert found, "the ticket page has no side-panel loader"
    return html.unescape(found.group(1))


def ticket_page_html(client, ticket_id: int, query: str = "", **headers) -> str:
    """The ticket page's HTML with its side panels in place (both requests must answer 200)."""
    response = client.get(f"/agent/tickets/{ticket_id}/{query}", **headers)
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    side = client.get(sidebar_url(page), HTTP_HX_REQUEST="true", **headers)
    assert side.status_code == 200, side.status_code
    return _LAZY.sub(lambda _: side.content.decode(), page, count=1)
