"""The help center's look, set by admins: brand name, logo, two colours and header links.

Colours reach pages only through a generated stylesheet served from our origin (CSP: no
inline styles), and only as #rrggbb values checked here; links only as http(s) URLs or paths of
this site. Read once a minute at most per process (cache), so a page costs no query for it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from .models import ArticleImage, HelpCenterTheme

CACHE_SECONDS = 60
MAX_LINKS = 6
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL = re.compile(r"^(https?://[^\s<>\"']+|/(?!/)[^\s<>\"']*)$")


@dataclass(frozen=True)
class Theme:
    brand_name: str = ""
    accent_color: str = ""
    header_color: str = ""
    logo_url: str = ""
    links: tuple[tuple[str, str], ...] = ()
    stamp: str = ""

    @property
    def is_custom(self) -> bool:
        return bool(self.brand_name or self.logo_url or self.links)

    @property
    def has_colours(self) -> bool:
        return bool(self.accent_color or self.header_color)


def parse_links(text: str) -> list[tuple[str, str]]:
    """ "Label | URL" lines → [(label, url)]. Raises ValidationError naming the bad line."""
    links = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, bar, url = (part.strip() for part in line.partition("|"))
        if not bar or not label or not _URL.match(url) or len(label) > 40 or len(url) > 300:
            raise ValidationError(
                _("Line %(number)s: write “Label | https://…” or “Label | /path”.")
                % {"number": number}
            )
        links.append((label, url))
    if len(links) > MAX_LINKS:
        raise ValidationError(_("At most %(count)s links.") % {"count": MAX_LINKS})
    return links


def check_colour(value: str) -> str:
    """#rrggbb dark enough for white text on it (WCAG AA, 4.5:1): buttons and the header."""
    value = value.strip()
    if value and not COLOUR.match(value):
        raise ValidationError(_("Give a colour as #rrggbb."))
    if value and contrast_with_white(value) < 4.5:
        raise ValidationError(
            _("This colour is too light: white text on it would be hard to read.")
        )
    return value.lower()


def cache_key() -> str:
    # Per database: processes (and test databases) sharing one Redis never see another's look.
    return f"kb-theme:v1:{connection.settings_dict['NAME']}"


# This process's copy, asked of the shared cache again after LOCAL_SECONDS: a page asks for
# the theme three or four times (ETag, stylesheet link, header, footer).
LOCAL_SECONDS = 1.0
_local: dict[str, tuple[Theme, float]] = {}


def current_theme() -> Theme:
    key = cache_key()
    now = time.monotonic()
    mine = _local.get(key)
    if mine is not None and now - mine[1] < LOCAL_SECONDS:
        return mine[0]
    theme = cache.get(key)
    if theme is None:
        theme = _load()
        cache.set(key, theme, CACHE_SECONDS)
    _local[key] = (theme, now)
    return theme


def forget_theme() -> None:
    cache.delete(cache_key())
    _local.pop(cache_key(), None)


def _load() -> Theme:
    row = HelpCenterTheme.objects.select_related("logo").filter(pk=1).first()
    if row is None:
        return Theme()
    try:
        links = tuple(parse_links(row.header_links))
    except ValidationError:
        links = ()
    return Theme(
        brand_name=row.brand_name,
        accent_color=row.accent_color,
        header_color=row.header_color,
        logo_url=row.logo.url if row.logo else "",
        links=links,
        stamp=row.updated_at.isoformat(),
    )


@transaction.atomic
def save_theme(
    *,
    brand_name: str,
    accent_color: str,
    header_color: str,
    header_links: str,
    logo: ArticleImage | None = None,
    remove_logo: bool = False,
) -> HelpCenterTheme:
    parse_links(header_links)
    row, _created = HelpCenterTheme.objects.select_for_update().get_or_create(pk=1)
    row.brand_name = brand_name.strip()[:60]
    row.accent_color = check_colour(accent_color)
    row.header_color = check_colour(header_color)
    row.header_links = header_links.strip()
    if logo is not None:
        row.logo = logo
    elif remove_logo:
        row.logo = None
    row.save()
    forget_theme()  # now for this process, and again once other processes can read the row
    transaction.on_commit(forget_theme)
    return row


def theme_css(theme: Theme) -> str:
    """The stylesheet for the current colours (values checked on save and again here)."""
    rules = []
    accent = theme.accent_color if COLOUR.match(theme.accent_color or "") else ""
    header = theme.header_color if COLOUR.match(theme.header_color or "") else ""
    if accent:
        rules.append(
            f":root {{ --accent: {accent}; --accent-hover: {accent}; --focus: {accent}; "
            f"--accent-text: {accent}; }}"
        )
    if header:
        rules.append(f".site-header, .hero {{ background: {header}; }}")
    return "\n".join(rules) + "\n"


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio of white text on `colour` (#rrggbb)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
