"""Outside HTML is hostile: one sanitizer for every path that stores someone else's markup."""

from __future__ import annotations

import re

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"lang", "dir"},
}


def sanitize_html(html: str) -> str:
    """Keep structure and links; drop scripts, styles, event handlers and remote tracking.

    Remote images are dropped (only `cid:`/`data:` and the help center's own stored images
    remain) so opening a ticket never tells a sender that it was read.
    """
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_remote_images,
        strip_comments=True,
    )


# Images the help center stores and serves itself (knowledge.ArticleImage): same origin, an
# unguessable name, no query string, so they can tell nobody anything about the reader.
OWN_IMAGE_SRC = re.compile(r"/help/images/[0-9a-f]{32}\.(?:png|jpg|gif|webp)")


def _drop_remote_images(tag: str, attribute: str, value: str) -> str | None:
    if (
        tag == "img"
        and attribute == "src"
        and not (value.startswith(("cid:", "data:image/")) or OWN_IMAGE_SRC.fullmatch(value))
    ):
        return None
    # `data:` is allowed for inline images only: a `data:text/html` link opens the sender's
    # own page (with scripts) on a click.
    if tag == "a" and attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value
