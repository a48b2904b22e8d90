"""Images in articles: checked on upload, served from our origin, the only images the shared
sanitizer lets through besides cid:/data: ones."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from helpdesk.html import sanitize_html
from knowledge import images
from knowledge.markdown import render_markdown
from knowledge.models import ArticleImage
from tests.factories import UserFactory

from .conftest import make_article, translation_of

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
OWN = "/help/images/" + "0123456789abcdef" * 2 + ".png"


@pytest.fixture
def agent_client(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(role="agent"))
    return client


def upload(
    client,
    content: bytes,
    name: str = "photo.png",
    content_type: str = "image/png",
    accept: str = "application/json",
):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post("/help/manage/images/", {"image": file}, HTTP_ACCEPT=accept)


@pytest.mark.parametrize(
    "content, extension",
    [
        (PNG, "png"),
        (JPEG, "jpg"),
        (GIF, "gif"),
        (WEBP, "webp"),
    ],
)
def test_raster_images_are_stored_and_served_from_our_origin(agent_client, content, extension):
    response = upload(agent_client, content)

    assert response.status_code == 201
    data = response.json()
    assert data["url"].startswith("/help/images/") and data["url"].endswith(f".{extension}")
    assert data["markdown"] == f"![photo]({data['url']})"
    served = agent_client.get(data["url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == content
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served["Cache-Control"]


@pytest.mark.parametrize(
    "content, name, content_type",
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            "image/svg+xml",
        ),
        (b"<html><script>alert(1)</script></html>", "x.png", "image/png"),  # lies about its type
        (b"MZ\x90\x00binary", "x.gif", "image/gif"),
        (b"", "empty.png", "image/png"),
    ],
)
def test_anything_but_a_raster_image_is_refused(agent_client, content, name, content_type):
    response = upload(agent_client, content, name, content_type)

    assert response.status_code == 400 and response.json()["detail"]
    assert not ArticleImage.objects.exists()


def test_an_oversized_image_is_refused(agent_client, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 1024)
    response = upload(agent_client, PNG + b"\x00" * 2048)

    assert response.status_code == 400 and "MB" in response.json()["detail"]
    assert not ArticleImage.objects.exists()


def test_upload_without_script_comes_back_to_the_editor_with_the_markdown(agent_client):
    file = SimpleUploadedFile("map.png", PNG, content_type="image/png")
    response = agent_client.post(
        "/help/manage/images/",
        {"image": file, "next": "/help/manage/new/"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.redirect_chain[-1][0] == "/help/manage/new/"
    assert "![map](/help/images/" in response.content.decode()


def test_only_editors_upload(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(role="light_agent"))
    assert upload(client, PNG).status_code == 403
    assert not ArticleImage.objects.exists()


def test_unknown_image_names_are_404(client):
    assert client.get(OWN).status_code == 404
    assert client.get("/help/images/..%2F..%2Fsettings.py").status_code == 404


def test_the_sanitizer_keeps_our_own_images_only():
    html = sanitize_html(
        f'<img src="{OWN}" alt="ours">'
        f'<img src="https://tracker.example{OWN}" alt="absolute">'
        f'<img src="//evil.example{OWN}" alt="protocol relative">'
        f'<img src="{OWN}?user=1" alt="query">'
        '<img src="/help/images/../../agent/" alt="traversal">'
        '<img src="/media/tickets/secret.png" alt="media">'
        '<img src="cid:part1" alt="cid">'
    )

    assert f'<img src="{OWN}" alt="ours">' in html
    assert html.count("src=") == 2  # ours and the mail's cid: part
    for hostile in ("tracker", "evil", "user=1", "agent", "/media/"):
        assert hostile not in html


def test_an_article_shows_its_uploaded_image(agent_client, section):
    url = upload(agent_client, PNG).json()["url"]
    article = make_article(section, en=("Where to find the label", f"![label]({url})"))

    assert f'<img src="{url}" alt="label">' in translation_of(article, "en").body_html
    assert f'<img src="{url}"' in render_markdown(f"![label]({url})")
    page = agent_client.get(f"/help/en/a/{article.pk}/", follow=True).content.decode()
    assert f'src="{url}"' in page
