"""Category audiences: sections inherit their category's readers and may only narrow them.

Four categories (everyone, signed-in customers, customers of Acme, agents only), each with
a section that keeps the category's audience and one that sets its own; one article per
section with a word of its own. Every way in (home, category and section pages, article
URLs, search, suggestions, the API, the sitemap, the bot, the widget, the contact form's
deflection beacon) must show exactly what the viewer may read and 404 the rest.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from customers.models import Organization
from knowledge import services
from knowledge.models import Audience, Category, ContactAttempt
from livechat.models import ChatChannel
from tests.factories import CustomerFactory, IdentityFactory, UserFactory

from .conftest import article_url, make_article

pytestmark = pytest.mark.django_db

# (category slug, category audience) → [(word, section audience)]
TREE = {
    ("open", Audience.EVERYONE): [("aardvark", Audience.EVERYONE), ("bison", Audience.SIGNED_IN)],
    ("members", Audience.SIGNED_IN): [
        ("civet", Audience.EVERYONE),  # inherits: signed-in customers
        ("dingo", Audience.ORGANIZATIONS),  # narrows to Acme
    ],
    ("acme", Audience.ORGANIZATIONS): [
        ("eland", Audience.EVERYONE),  # inherits: Acme
        ("ferret", Audience.SIGNED_IN),  # cannot widen: still Acme only
    ],
    ("staff", Audience.AGENTS): [("gecko", Audience.EVERYONE)],
}
ALL = {word for sections in TREE.values() for word, _audience in sections}
EXPECTED = {
    "anonymous": {"aardvark"},
    "customer": {"aardvark", "bison", "civet"},
    "acme_customer": {"aardvark", "bison", "civet", "dingo", "eland", "ferret"},
    "other_org_customer": {"aardvark", "bison", "civet"},
    "agent": ALL,
}
CATEGORY_OF = {word: slug for (slug, _a), sections in TREE.items() for word, _s in sections}


@pytest.fixture
def acme():
    return Organization.objects.create(name="Acme", domain="acme.example")


@pytest.fixture
def articles(acme):
    found = {}
    for position, ((slug, audience), sections) in enumerate(TREE.items()):
        category = services.upsert_category(
            slug=slug, name_ja=f"{slug}の記事", name_en=f"Category {slug}", position=position
        )
        services.set_category_access(
            category,
            audience=audience,
            organizations=[acme] if audience == Audience.ORGANIZATIONS else [],
        )
        for word, section_audience in sections:
            section = services.upsert_section(
                category=category, slug=f"s-{word}", name_en=f"Section {word}"
            )
            services.set_section_access(
                section,
                audience=section_audience,
                organizations=[acme] if section_audience == Audience.ORGANIZATIONS else [],
            )
            found[word] = make_article(
                section,
                en=(f"All about the {word}", f"The {word} is a fine animal."),
                ja=(f"{word}について", f"{word}の説明です。"),
            )
    return found


def _customer(email: str, *, organization=None) -> Client:
    user = UserFactory(role="customer", email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
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


def test_article_urls_answer_only_readers_of_both_category_and_section(viewer, articles):
    name, client = viewer
    for word, article in articles.items():
        for url in (article_url(article, "en"), f"/help/en/a/{article.pk}/"):
            status = client.get(url, follow=True).status_code
            assert status == (200 if word in EXPECTED[name] else 404), (name, word, url)


def test_home_category_and_section_pages(viewer, articles):
    name, client = viewer
    home = client.get("/help/en/").content.decode()
    assert _words_in(home) == EXPECTED[name]
    for (slug, _audience), _sections in TREE.items():
        readable = {w for w, _s in TREE[(slug, _audience)]} & EXPECTED[name]
        assert (f"Category {slug}" in home) == bool(readable), (name, slug)
        page = client.get(f"/help/en/c/{slug}/")
        assert page.status_code == (200 if readable else 404), (name, slug)
        if readable:
            assert _words_in(page.content.decode()) == readable, (name, slug)
    for word in ALL:
        section = client.get(f"/help/en/s/s-{word}/")
        assert section.status_code == (200 if word in EXPECTED[name] else 404), (name, word)


def test_search_suggestions_and_the_api(viewer, articles):
    name, client = viewer
    for word, article in articles.items():
        readable = word in EXPECTED[name]
        for lang in ("en", "ja"):
            page = client.get(f"/help/{lang}/search/", {"q": word}).content.decode()
            found = "/search/go/" in page or f"/a/{article.pk}-" in page
            assert found == readable, (name, word, lang)
            suggestions = client.get(f"/help/{lang}/search/suggest/", {"q": word}).json()
            assert bool(suggestions["results"]) == readable, (name, word, lang)
        searched = client.get("/api/v1/articles/", {"q": word, "language": "en"}).json()
        assert bool(searched["results"]) == readable, (name, word)
        detail = client.get(f"/api/v1/articles/{article.pk}/")
        assert detail.status_code == (200 if readable else 404), (name, word)


def test_crawlers_the_bot_and_the_widget_get_only_public_categories(articles):
    sitemap = Client().get("/sitemap.xml").content.decode()
    assert f"/a/{articles['aardvark'].pk}-" in sitemap
    assert "/c/open/" in sitemap
    for slug in ("members", "acme", "staff"):
        assert f"/c/{slug}/" not in sitemap
    for word in ALL - {"aardvark"}:
        assert f"/a/{articles[word].pk}-" not in sitemap and word not in sitemap
    channel = ChatChannel(name="Shop", allowed_origins="https://shop.example")
    channel.set_secret("s")
    channel.save()
    agent = Client()
    agent.force_login(UserFactory(role="agent"))
    for word, article in articles.items():
        public = word == "aardvark"
        answers = agent.post("/help/en/bot/ask/", {"question": f"Tell me about the {word}"})
        assert bool(answers.json()["answers"]) == public, word
        widget = Client().get(f"/widget/{channel.public_key}/article/en/{article.pk}/")
        assert widget.status_code == (200 if public else 404), word
        suggest = Client().get(f"/widget/{channel.public_key}/suggest/en/", {"q": word}).json()
        assert bool(suggest["results"]) == public, word


def test_the_deflection_beacon_accepts_only_articles_the_visitor_may_read(articles):
    client = Client(enforce_csrf_checks=True)
    client.get("/help/en/contact/")
    csrf = client.cookies["csrftoken"].value
    token = "f" * 32

    def opened(article):
        return client.post(
            "/help/en/contact-beacon/",
            {"csrfmiddlewaretoken": csrf, "form": token, "event": "opened", "article": article.pk},
        )

    assert opened(articles["civet"]).status_code == 400  # signed-in customers' category
    assert opened(articles["gecko"]).status_code == 400  # agents' category
    assert not ContactAttempt.objects.filter(opened_article__isnull=False).exists()
    assert opened(articles["aardvark"]).status_code == 204
    assert ContactAttempt.objects.get(form_token=token).opened_article == articles["aardvark"]


def test_closing_a_category_takes_effect_at_once_and_invalidates_cached_pages(articles):
    url = article_url(articles["aardvark"], "en")
    first = Client().get(url)
    assert first.status_code == 200 and "public" in first["Cache-Control"]
    assert Client().get("/help/en/search/suggest/", {"q": "aardvark"}).json()["results"]
    category = Category.objects.get(slug="open")
    services.set_category_access(category, audience=Audience.SIGNED_IN)
    assert Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404
    assert not Client().get("/help/en/search/suggest/", {"q": "aardvark"}).json()["results"]
    assert "Category open" not in Client().get("/help/en/").content.decode()
    services.set_category_access(category, audience=Audience.EVERYONE)
    again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200  # the category changed since: the old copy is not current


# ------------------------------------------------------------------------ the setting


@pytest.fixture
def manager_client():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role="manager"))
    return client


def test_managers_set_a_category_audience_that_its_sections_inherit(manager_client, articles, acme):
    category = Category.objects.get(slug="open")
    url = f"/help/manage/structure/category/{category.pk}/access/"
    page = manager_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Who can read the category" in text and "Section aardvark" in text
    saved = manager_client.post(url, {"audience": "organizations", "organizations": [acme.pk]})
    assert saved.status_code == 302
    category.refresh_from_db()
    assert category.audience == Audience.ORGANIZATIONS
    assert list(category.organizations.all()) == [acme]
    assert Client().get(article_url(articles["aardvark"], "en")).status_code == 404
    structure = manager_client.get("/help/manage/structure/").content.decode()
    assert f"/help/manage/structure/category/{category.pk}/access/" in structure


@pytest.mark.parametrize(
    "data",
    [
        {"audience": "organizations"},  # no organization chosen
        {"audience": "everyone; DROP TABLE knowledge_category"},
        {"audience": "<script>alert(1)</script>"},
        {},
        {"audience": "organizations", "organizations": ["999999"]},
        {"audience": "signed_in", "organizations": ["x" * 10_000]},
    ],
)
def test_bad_category_access_input_is_refused_and_changes_nothing(manager_client, articles, data):
    category = Category.objects.get(slug="open")
    response = manager_client.post(f"/help/manage/structure/category/{category.pk}/access/", data)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()
    category.refresh_from_db()
    assert category.audience == Audience.EVERYONE
    assert Client().get(article_url(articles["aardvark"], "en")).status_code == 200


def test_only_managers_may_change_who_reads_a_category(articles):
    category = Category.objects.get(slug="open")
    url = f"/help/manage/structure/category/{category.pk}/access/"
    agent = Client()
    agent.force_login(UserFactory(role="agent"))
    customer = _customer("nosy@example.net")
    for client in (agent, customer, Client()):
        response = client.post(url, {"audience": "agents"})
        assert response.status_code in (302, 403, 404)
    category.refresh_from_db()
    assert category.audience == Audience.EVERYONE
    assert Client().get(
        f"/help/manage/structure/category/{category.pk + 999}/access/"
    ).status_code in (
        302,
        403,
        404,
    )
