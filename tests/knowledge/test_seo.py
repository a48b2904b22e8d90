"""What crawlers read: title, meta, canonical, hreflang, Open Graph, JSON-LD, sitemap, robots."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.conf import settings

from knowledge.models import ArticleTranslation

from .conftest import article_url, make_article
from .html_head import read_head

pytestmark = pytest.mark.django_db
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_an_article_page_has_title_description_canonical_hreflang_and_open_graph(
    client, help_center
):
    translation = ArticleTranslation.objects.get(language="en", slug="refunds-and-returns")
    japanese = translation.article.translations.get(language="ja")
    head = read_head(client.get(article_url(translation.article, "en")).content.decode())
    site = settings.SITE_URL
    canonical = f"{site}/help/en/a/{translation.article_id}-refunds-and-returns/"

    assert head.title == "Refunds and returns | 窓口 Madoguchi"
    assert head.meta["description"] == [translation.summary]
    assert head.link("canonical") == [canonical]
    assert head.link("alternate", hreflang="en") == [canonical]
    assert head.link("alternate", hreflang="ja") == [
        f"{site}/help/ja/a/{translation.article_id}-{japanese.slug}/"
    ]
    assert head.meta["og:title"] == ["Refunds and returns"]
    assert head.meta["og:type"] == ["article"] and head.meta["og:url"] == [canonical]
    assert head.meta["og:locale"] == ["en_US"] and head.meta["og:locale:alternate"] == ["ja_JP"]
    assert head.meta["og:description"] == [translation.summary]


def test_article_json_ld_is_an_article_and_its_breadcrumbs(client, help_center):
    translation = ArticleTranslation.objects.get(language="ja", slug="returns-exchanges")
    head = read_head(client.get(article_url(translation.article, "ja")).content.decode())
    blocks = {block["@type"]: block for block in head.json_ld_data()}

    article = blocks["Article"]
    assert article["@context"] == "https://schema.org"
    assert article["headline"] == "返品・交換について" and article["inLanguage"] == "ja"
    assert article["url"] == head.link("canonical")[0]
    assert article["datePublished"] and article["dateModified"]
    assert article["publisher"]["@type"] == "Organization"
    crumbs = blocks["BreadcrumbList"]["itemListElement"]
    assert [c["name"] for c in crumbs] == [
        "ヘルプセンター",
        "返品・お支払い",
        "返品・交換",
        "返品・交換について",
    ]
    assert [c["position"] for c in crumbs] == [1, 2, 3, 4]


def test_faq_page_has_faqpage_json_ld_with_every_question(client, help_center):
    page = client.get("/help/en/faq/")
    head = read_head(page.content.decode())
    (faq,) = head.json_ld_data()

    assert faq["@type"] == "FAQPage"
    questions = {q["name"]: q for q in faq["mainEntity"]}
    assert set(questions) == {"My order has not arrived", "Refunds and returns"}
    for question in questions.values():
        assert question["@type"] == "Question"
        assert question["acceptedAnswer"]["@type"] == "Answer"
        assert "<p>" in question["acceptedAnswer"]["text"]
    assert head.title == "Frequently asked questions | 窓口 Madoguchi"
    assert head.link("alternate", hreflang="ja") == [f"{settings.SITE_URL}/help/ja/faq/"]


def test_a_title_cannot_break_out_of_the_json_ld_block(client, section):
    hostile = "</script><script>alert(1)</script><!--"
    article = make_article(section, labels=("faq",), en=(hostile, "Body & <b>more</b>"))

    for url in (article_url(article, "en"), "/help/en/faq/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html
        head = read_head(html)
        titles = [
            b.get("headline") or b.get("mainEntity", [{}])[0].get("name")
            for b in head.json_ld_data()
            if b["@type"] in ("Article", "FAQPage")
        ]
        assert titles == [hostile]  # parsed back exactly: escaped, not altered


def test_the_sitemap_lists_every_public_article_in_each_of_its_languages(client, help_center):
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.content)
    urls = {u.find(f"{SITEMAP}loc").text: u for u in root.iter(f"{SITEMAP}url")}
    site = settings.SITE_URL

    assert response["Content-Type"].startswith("application/xml")
    english = ArticleTranslation.objects.get(language="en", slug="refunds-and-returns")
    japanese = english.article.translations.get(language="ja")
    entry = urls[f"{site}/help/en/a/{english.article_id}-refunds-and-returns/"]
    alternates = {link.get("hreflang"): link.get("href") for link in entry.iter(f"{XHTML}link")}
    assert alternates == {
        "en": f"{site}/help/en/a/{english.article_id}-refunds-and-returns/",
        "ja": f"{site}/help/ja/a/{english.article_id}-{japanese.slug}/",
    }
    assert entry.find(f"{SITEMAP}lastmod").text
    only_ja = ArticleTranslation.objects.get(language="ja", slug="konbini-payment-deadline")
    assert f"{site}/help/ja/a/{only_ja.article_id}-konbini-payment-deadline/" in urls
    assert not any(f"/help/en/a/{only_ja.article_id}-" in url for url in urls)
    assert not any("internal-refund-procedure" in url for url in urls)  # agents only
    assert f"{site}/help/ja/" in urls and f"{site}/help/en/c/account/" in urls
    article_urls = [u for u in urls if "/a/" in u]
    assert len(article_urls) == ArticleTranslation.objects.filter(article__internal=False).count()


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    lines = response.content.decode().splitlines()

    assert response["Content-Type"].startswith("text/plain")
    assert "User-agent: *" in lines
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines
    assert "Disallow: /agent/" in lines and "Disallow: /help/*/search/" in lines
