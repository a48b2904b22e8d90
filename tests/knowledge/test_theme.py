"""The help center's look: admins set brand, logo, colours and links; hostile values refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from knowledge.models import HelpCenterTheme
from knowledge.theme import contrast_with_white, current_theme, forget_theme
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def fresh_theme(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    forget_theme()
    yield
    forget_theme()


@pytest.fixture
def admin_client():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role="admin"))
    return client


def save(client, **overrides):
    data = {
        "brand_name": "さくら商店",
        "accent_color": "#b5325a",
        "header_color": "#3b1020",
        "header_links": "Shop | https://shop.example.jp/\nお知らせ | /help/ja/faq/",
    }
    data.update(overrides)
    return client.post("/help/manage/theme/", data)


def test_an_admin_brands_the_help_center(admin_client):
    logo = SimpleUploadedFile("logo.png", PNG, content_type="image/png")
    assert save(admin_client, logo=logo).status_code == 302

    page = Client().get("/help/ja/").content.decode()
    assert "さくら商店" in page
    assert 'href="https://shop.example.jp/"' in page and ">お知らせ</a>" in page
    theme = current_theme()
    assert f'src="{theme.logo_url}"' in page
    assert "/help/theme.css?v=" in page
    css = Client().get("/help/theme.css")
    assert css["Content-Type"].startswith("text/css")
    assert "--accent: #b5325a" in css.content.decode()
    assert ".site-header, .hero { background: #3b1020; }" in css.content.decode()


def test_the_default_look_needs_no_stylesheet(client):
    page = client.get("/help/ja/").content.decode()
    assert "/help/theme.css" not in page
    assert client.get("/help/theme.css").content.decode().strip() == ""


@pytest.mark.parametrize(
    "field, value",
    [
        ("accent_color", "red; } body { display:none"),
        ("accent_color", "#ffff00"),  # white text on yellow is unreadable
        ("header_color", "#fff"),
        ("header_links", "Evil | javascript:alert(1)"),
        ("header_links", "Evil | //evil.example/"),
        ("header_links", "no bar here"),
        ("header_links", "\n".join(f"L{n} | /x{n}" for n in range(7))),
    ],
)
def test_hostile_or_unreadable_values_are_refused(admin_client, field, value):
    response = save(admin_client, **{field: value})

    assert response.status_code == 400
    assert not HelpCenterTheme.objects.exists()


def test_a_non_image_logo_is_refused(admin_client):
    logo = SimpleUploadedFile(
        "logo.svg", b"<svg><script>alert(1)</script></svg>", content_type="image/svg+xml"
    )
    assert save(admin_client, logo=logo).status_code == 400
    assert not HelpCenterTheme.objects.exists()


@pytest.mark.parametrize("role", ["manager", "agent"])
def test_only_admins_change_the_look(client, role):
    client.force_login(UserFactory(role=role))
    assert save(client).status_code == 403


def test_cached_article_pages_change_their_etag_with_the_look(admin_client, section):
    from .conftest import make_article

    article = make_article(section, en=("Returns", "Body"))
    url = f"/help/en/a/{article.pk}/"
    first = Client().get(url, follow=True)
    save(admin_client)

    again = Client().get(first.redirect_chain[-1][0], HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "さくら商店" in again.content.decode()


def test_contrast_matches_wcag():
    assert contrast_with_white("#000000") == pytest.approx(21)
    assert contrast_with_white("#ffffff") == pytest.approx(1)
    assert contrast_with_white("#2a5bd7") > 4.5
