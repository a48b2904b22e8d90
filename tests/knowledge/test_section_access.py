"""Section permissions: who reads a section's articles, checked on every way in.

Four sections (everyone, signed-in customers, customers of Acme, agents only), one article
each with a word of its own; six viewers. Every page, search, suggestion, API route, the bot,
the widget, the sitemap and the FAQ JSON-LD must show exactly the articles the viewer may
read, and answer 404 for the others (never 403: ids cannot be probed).
"""

from __future__ import annotations

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from customers.models import Organization
from knowledge import services
from knowledge.models import Audience
from livechat.models import ChatChannel
from tests.factories import CustomerFactory, IdentityFactory, UserFactory

from .conftest import article_url, make_article

pytestmark = pytest.mark.django_db

WORDS = {
    Audience.EVERYONE: "aardvark",
    Audience.SIGNED_IN: "bison",
    Audience.ORGANIZATIONS: "capybara",
    Audience.AGENTS: "dugong",
}
ALL = set(WORDS.values())
# What each viewer may read.
EXPECTED = {
    "anonymous": {"aardvark"},
    "customer": {"aardvark", "bison"},
    "unverified_acme": {"aardvark", "bison"},  # claims an Acme address it never verified
    "acme_customer": {"aardvark", "bison", "capybara"},
    "other_org_customer": {"aardvark", "bison"},
    "agent": ALL,
}


@pytest.fixture
def acme():
    return Organization.objects.create(name="Acme", domain="acme.example")


@pytest.fixture
def articles(acme):
    category = services.upsert_category(slug="zoo", name_ja="動物", name_en="Zoo")
    found = {}
    for position, (audience, word) in enumerate(WORDS.items()):
        section = services.upsert_section(
            category=category, slug=f"zoo-{word}", name_en=f"Section {word}", position=position
        )
        services.set_section_access(
            section, audience=audience, organizations=[acme] if audience == "organizations" else []
        )
        found[word] = make_article(
            section,
            labels=("faq",),
            en=(f"All about the {word}", f"The {word} is a fine animal."),
            ja=(f"{word}について", f"{word}の説明です。"),
        )
    return found


def _customer(email: str, *, organization=None, verified=True) -> Client:
    user = UserFactory(role="customer", email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    customer = CustomerFactory(email=email, organization=organization)
    IdentityFactory(handle=email, customer=customer)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture(params=list(EXPECTED))
def viewer(request, acme):
    name = request.param
    if name == "anonymous":
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
    elif name == "customer":
        client = _customer("plain@example.net")
    elif name == "unverified_acme":
        client = _customer("mallory@acme.example", organization=acme, verified=False)
    elif name == "acme_customer":
        client = _customer("aiko@acme.example", organization=acme)
    elif name == "other_org_customer":
        other = Organization.objects.create(name="Other", domain="other.example")
        client = _customer("zed@other.example", organization=other)
    else:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(UserFactory(role="agent"))
    return name, client


def _words_in(text: str) -> set[str]:
    return {word for word in ALL if word in text}


def test_article_pages_by_url_and_bare_id(viewer, articles):
    name, client = viewer
    for word, article in articles.items():
        for url in (
            article_url(article, "en"),
            f"/help/en/a/{article.pk}/",
            article_url(article, "ja"),
        ):
            status = client.get(url, follow=True).status_code
            assert status == (200 if word in EXPECTED[name] else 404), (name, word, url)
        vote = client.post(f"/help/en/a/{article.pk}/feedback/", {"helpful": "yes"})
        assert (vote.status_code == 404) == (word not in EXPECTED[name]), (name, word)


def test_listings_faq_and_json_ld(viewer, articles):
    name, client = viewer
    home = client.get("/help/en/").content.decode()
    category = client.get("/help/en/c/zoo/").content.decode()
    faq = client.get("/help/en/faq/").content.decode()
    assert _words_in(home + category) == EXPECTED[name]
    assert _words_in(faq) == EXPECTED[name]
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', faq, re.S)
    questions = [
        item["name"]
        for block in map(json.loads, blocks)
        if block.get("@type") == "FAQPage"
        for item in block["mainEntity"]
    ]
    assert _words_in(" ".join(questions)) == EXPECTED[name]
    for word in ALL:
        section = client.get(f"/help/en/s/zoo-{word}/")
        assert section.status_code == (200 if word in EXPECTED[name] else 404), (name, word)


def test_search_and_suggestions(viewer, articles):
    name, client = viewer
    for word, article in articles.items():
        for lang in ("en", "ja"):
            page = client.get(f"/help/{lang}/search/", {"q": word}).content.decode()
            # Customers' results go through the click counter; staff's link the article.
            found = "/search/go/" in page or f"/a/{article.pk}-" in page
            assert found == (word in EXPECTED[name]), (name, word, lang)
            suggestions = client.get(f"/help/{lang}/search/suggest/", {"q": word}).json()
            assert bool(suggestions["results"]) == (word in EXPECTED[name]), (name, word, lang)


def test_the_articles_api_lists_searches_and_reads_only_what_the_viewer_may(viewer, articles):
    name, client = viewer
    listed = client.get("/api/v1/articles/").json()["results"]
    titles = " ".join(t["title"] for a in listed for t in a["translations"])
    assert _words_in(titles) == EXPECTED[name]
    for word, article in articles.items():
        searched = client.get("/api/v1/articles/", {"q": word, "language": "en"}).json()
        assert bool(searched["results"]) == (word in EXPECTED[name]), (name, word)
        detail = client.get(f"/api/v1/articles/{article.pk}/")
        assert detail.status_code == (200 if word in EXPECTED[name] else 404), (name, word)


def test_suggestions_for_signed_in_readers_are_never_shared_cache_copies(viewer, articles):
    name, client = viewer
    response = client.get("/help/en/search/suggest/", {"q": "aardvark"})
    if name == "anonymous":
        assert "public" in response["Cache-Control"]
    else:
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]


def test_crawlers_the_bot_and_the_widget_only_ever_get_public_sections(articles):
    agent = Client()
    agent.force_login(UserFactory(role="agent"))
    sitemap = Client().get("/sitemap.xml").content.decode()
    assert f"/a/{articles['aardvark'].pk}-" in sitemap
    for word in ("bison", "capybara", "dugong"):
        assert f"/a/{articles[word].pk}-" not in sitemap
        assert word not in sitemap
    channel = ChatChannel(name="Shop", allowed_origins="https://shop.example")
    channel.set_secret("s")
    channel.save()
    for word, article in articles.items():
        public = word == "aardvark"
        # The bot answers the public's view even to a signed-in agent.
        answers = agent.post("/help/en/bot/ask/", {"question": f"Tell me about the {word}"}).json()
        assert bool(answers["answers"]) == public, word
        widget = Client().get(f"/widget/{channel.public_key}/article/en/{article.pk}/")
        assert widget.status_code == (200 if public else 404), word
        suggest = Client().get(f"/widget/{channel.public_key}/suggest/en/", {"q": word}).json()
        assert bool(suggest["results"]) == public, word


def test_anonymous_article_pages_are_public_cacheable_signed_in_ones_private(articles):
    url = article_url(articles["aardvark"], "en")
    anonymous = Client().get(url)
    assert "public" in anonymous["Cache-Control"] and anonymous["ETag"]
    again = Client().get(url, HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert again.status_code == 304
    customer = _customer("cache@acme.example")
    for word in ("aardvark", "bison"):
        response = customer.get(article_url(articles[word], "en"))
        assert response.status_code == 200
        assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
        # A validator from the anonymous copy is no way into a private page.
        revalidated = customer.get(
            article_url(articles[word], "en"), HTTP_IF_NONE_MATCH=anonymous["ETag"]
        )
        assert revalidated.status_code == 200


def test_changing_the_audience_changes_the_cached_page_validator(articles):
    url = article_url(articles["aardvark"], "en")
    first = Client().get(url)
    section = articles["aardvark"].section
    services.set_section_access(section, audience=Audience.SIGNED_IN)
    assert Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404
    services.set_section_access(section, audience=Audience.EVERYONE)
    back = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert back.status_code == 200  # the section changed since: the old copy is not current
