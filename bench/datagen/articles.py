"""Help-center articles for the benchmark data set: many, mixed ja/en, loaded with COPY.

`generate_articles(connection, count=100_000)` writes `count` published, public articles under
bench categories and sections (plus ~2% internal or draft ones, and a few sections for
signed-in customers or agents only), each in Japanese, English or both. Titles and bodies are
made from topic templates filled with product names and numbers, so they read like a shop's
help center and differ from each other, while the expensive part (Sudachi) runs once per
distinct template text: an article's lexemes are assembled from its parts' cached lexemes
exactly as `helpdesk.search.index_terms` orders them, and PostgreSQL computes the weighted
tsvector with the very expression `knowledge.search.translation_vector` stores. A sample of
articles is checked against the real functions before loading, so a change in the tokenizer
or the renderer is caught rather than benchmarked wrongly.

Idempotent: when the bench sections already hold `count` published articles it does nothing;
otherwise it replaces the bench articles (and only those).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from functools import cache

from django.utils.text import slugify

from .copy import copy_rows, create_indexes, drop_indexes, secondary_indexes

BENCH_PREFIX = "bench-"
TABLE = "knowledge_articletranslation"
# Of `count` extra articles, this share is internal and this share stays a draft.
INTERNAL_SHARE = 0.01
DRAFT_SHARE = 0.01

PRODUCTS = [
    ("ワイヤレスイヤホン", "wireless earbuds"),
    ("電気ケトル", "electric kettle"),
    ("ランニングシューズ", "running shoes"),
    ("ノートパソコン", "laptop"),
    ("コーヒーメーカー", "coffee maker"),
    ("スマートウォッチ", "smartwatch"),
    ("加湿器", "humidifier"),
    ("リュックサック", "backpack"),
    ("炊飯器", "rice cooker"),
    ("モバイルバッテリー", "power bank"),
    ("電動歯ブラシ", "electric toothbrush"),
    ("ヨガマット", "yoga mat"),
    ("掃除機", "vacuum cleaner"),
    ("デジタルカメラ", "digital camera"),
    ("ギフトカード", "gift card"),
    ("定期便", "subscription box"),
    ("腕時計", "wristwatch"),
    ("空気清浄機", "air purifier"),
    ("タブレット", "tablet"),
    ("スーツケース", "suitcase"),
    ("ドライヤー", "hair dryer"),
    ("キーボード", "keyboard"),
    ("プリンター", "printer"),
    ("マットレス", "mattress"),
    ("ベビーカー", "stroller"),
    ("自転車", "bicycle"),
    ("ゲーム機", "game console"),
    ("電子書籍リーダー", "e-reader"),
    ("水筒", "water bottle"),
    ("テント", "tent"),
]

# (category slug, ja, en) → sections (slug, ja, en) → topics. A topic: title templates,
# a summary, and paragraphs in both languages; {p} is the product, {n} a number.
TOPICS: dict[tuple[str, str, str], list[dict]] = {
    ("orders", "ご注文", "Orders"): [
        {
            "ja_titles": [
                "{p}の注文をキャンセルするには",
                "{p}のご注文の取り消し方法",
                "{p}を注文後にキャンセルしたい",
            ],
            "en_titles": [
                "How to cancel an order for a {p}",
                "Cancelling your {p} order",
                "Can I cancel my {p} order?",
            ],
            "ja_summary": "発送前の{p}のご注文はマイページから取り消せます。",
            "en_summary": "You can cancel a {p} order from your account until it ships.",
            "ja": [
                "{p}のご注文は、発送準備に入る前であればマイページの注文履歴からキャンセルできます。",
                "発送準備が始まった{p}のご注文はキャンセルできません。お届け後に返品の手続きをしてください。",
                "キャンセルが完了すると、{n}営業日以内にご登録のメールアドレスへ確認メールが届きます。",
                "クレジットカードでお支払いの場合、返金の反映まで{n}日ほどかかることがあります。",
            ],
            "en": [
                "You can cancel a {p} order from the order history in your account until we "
                "start preparing it for shipping.",
                "Once a {p} order is being prepared, it can no longer be cancelled; please "
                "return it after delivery instead.",
                "When the cancellation is complete you receive a confirmation email within "
                "{n} business days.",
                "If you paid by credit card, the refund can take about {n} days to appear on "
                "your statement.",
            ],
        },
        {
            "ja_titles": [
                "{p}の注文内容を変更する",
                "{p}の数量や色を変更したい",
                "注文後に{p}のお届け先を変更する",
            ],
            "en_titles": [
                "Changing your {p} order",
                "Change the colour or quantity of a {p}",
                "Update the delivery address of a {p} order",
            ],
            "ja_summary": "{p}の数量・色・お届け先は発送前なら変更できます。",
            "en_summary": "Quantity, colour and address of a {p} order can change before shipping.",
            "ja": [
                "{p}のご注文内容は、発送前であれば注文履歴の「変更」ボタンから変更できます。",
                "お届け先の変更は、配送業者に引き渡した後は承れません。",
                "色やサイズの変更で差額が生じた場合は、{n}日以内にご請求または返金いたします。",
            ],
            "en": [
                "You can change a {p} order from the Change button in your order history "
                "until it ships.",
                "The delivery address cannot be changed once the parcel is with the carrier.",
                "If a change of colour or size changes the price, we charge or refund the "
                "difference within {n} days.",
            ],
        },
    ],
    ("shipping", "配送", "Shipping"): [
        {
            "ja_titles": [
                "{p}の配送状況を確認する",
                "{p}はいつ届きますか",
                "{p}の配送日数について",
            ],
            "en_titles": [
                "Tracking your {p} delivery",
                "When will my {p} arrive?",
                "Delivery times for a {p}",
            ],
            "ja_summary": "{p}は通常{n}日以内に発送し、追跡番号をメールでお知らせします。",
            "en_summary": "A {p} usually ships within {n} days; we email you the tracking number.",
            "ja": [
                "{p}は通常ご注文から{n}営業日以内に発送いたします。",
                "発送が完了すると、追跡番号を記載した発送完了メールをお送りします。",
                "離島や一部地域へのお届けは、さらに{n}日ほどかかる場合があります。",
                "配送状況は配送業者のウェブサイトで追跡番号を入力して確認できます。",
            ],
            "en": [
                "A {p} usually ships within {n} business days of your order.",
                "When it ships, we send you an email with the tracking number.",
                "Deliveries to remote islands and some regions can take {n} more days.",
                "You can follow the delivery on the carrier's website with the tracking number.",
            ],
        },
        {
            "ja_titles": ["{p}の送料について", "{p}の配送料金と無料配送の条件"],
            "en_titles": ["Shipping costs for a {p}", "Free shipping on a {p}"],
            "ja_summary": "{n}000円以上のご注文で{p}の送料は無料です。",
            "en_summary": "Orders over {n}0 dollars ship a {p} for free.",
            "ja": [
                "{p}の送料は全国一律です。{n}000円以上のご注文で送料無料になります。",
                "お急ぎ便をご利用の場合は、別途料金がかかります。",
                "定期便でお届けする{p}の送料は、いつでも無料です。",
            ],
            "en": [
                "Shipping a {p} costs the same everywhere in the country; orders over {n}0 "
                "dollars ship free.",
                "Express delivery costs extra.",
                "A {p} delivered by subscription always ships free.",
            ],
        },
    ],
    ("returns", "返品・交換", "Returns and refunds"): [
        {
            "ja_titles": [
                "{p}の返品・交換について",
                "{p}を返品したい場合",
                "{p}の返品方法と返金の時期",
            ],
            "en_titles": [
                "Returning a {p}",
                "Refunds and returns for a {p}",
                "How do I return my {p}?",
            ],
            "ja_summary": "{p}はお届けから{n}0日以内なら返品・交換できます。",
            "en_summary": "You can return or exchange a {p} within {n}0 days of delivery.",
            "ja": [
                "{p}は、お届けから{n}0日以内であれば未使用品に限り返品・交換を承ります。",
                "マイページの注文履歴から返品を申し込むと、返送用のラベルが発行されます。",
                "返品された{p}の到着を確認してから{n}営業日以内に返金いたします。",
                "初期不良の場合は送料当社負担で交換いたします。お手数ですが写真を添えてご連絡ください。",
            ],
            "en": [
                "You can return or exchange an unused {p} within {n}0 days of delivery.",
                "Request the return from your order history and we email you a return label.",
                "We refund you within {n} business days after the returned {p} arrives.",
                "If your {p} arrived faulty, we exchange it at our cost; please send us a photo.",
            ],
        },
    ],
    ("payments", "お支払い", "Payments"): [
        {
            "ja_titles": [
                "{p}のお支払い方法",
                "{p}を分割払いで購入する",
                "利用できる支払い方法（{p}）",
            ],
            "en_titles": [
                "Paying for a {p}",
                "Buying a {p} in instalments",
                "Payment methods for a {p}",
            ],
            "ja_summary": "クレジットカード、コンビニ払い、銀行振込で{p}をお支払いいただけます。",
            "en_summary": "Pay for a {p} by card, bank transfer or at a convenience store.",
            "ja": [
                "{p}のお支払いには、クレジットカード、コンビニ払い、銀行振込、代金引換をご利用いただけます。",
                "クレジットカードでは最大{n}回までの分割払いが可能です。",
                "コンビニ払いの期限はご注文から{n}日間です。期限を過ぎるとご注文は自動的にキャンセルされます。",
                "領収書はマイページの注文詳細からPDFでダウンロードできます。",
            ],
            "en": [
                "You can pay for a {p} by credit card, bank transfer, convenience store "
                "payment or cash on delivery.",
                "Credit cards allow up to {n} instalments.",
                "Convenience store payments are due within {n} days; unpaid orders are "
                "cancelled automatically.",
                "Download the receipt and invoice as a PDF from the order details in your account.",
            ],
        },
    ],
    ("account", "アカウント", "Your account"): [
        {
            "ja_titles": [
                "パスワードを忘れた場合",
                "ログインできないとき（{p}アプリ）",
                "パスワードの再設定方法",
            ],
            "en_titles": [
                "Forgot your password",
                "Cannot sign in to the {p} app",
                "Resetting your password",
            ],
            "ja_summary": "ログイン画面の「パスワードを忘れた方」から再設定できます。",
            "en_summary": "Reset your password from the sign-in page's Forgot password link.",
            "ja": [
                "ログイン画面の「パスワードを忘れた方」を押し、ご登録のメールアドレスを入力してください。",
                "再設定用のメールが{n}分以内に届かない場合は、迷惑メールフォルダをご確認ください。",
                "{p}アプリからも同じ手順でパスワードを再設定できます。",
            ],
            "en": [
                "Choose Forgot password on the sign-in page and enter your email address.",
                "If the reset email does not arrive within {n} minutes, check your spam folder.",
                "The {p} app resets your password the same way.",
            ],
        },
        {
            "ja_titles": ["メールアドレスを変更する", "会員情報の変更（{p}）", "退会の手続き"],
            "en_titles": [
                "Changing your email address",
                "Updating your details ({p})",
                "Closing your account",
            ],
            "ja_summary": "会員情報はマイページの「アカウント設定」から変更できます。",
            "en_summary": "Change your details under Account settings.",
            "ja": [
                "メールアドレスや住所は、マイページの「アカウント設定」からいつでも変更できます。",
                "退会すると、ポイントと注文履歴は{n}日後に削除され、元に戻せません。",
                "{p}の保証登録は退会後も有効です。",
            ],
            "en": [
                "Change your email address or postal address under Account settings at any time.",
                "Closing your account deletes your points and order history after {n} days; "
                "this cannot be undone.",
                "The warranty registration of your {p} stays valid after you leave.",
            ],
        },
    ],
    ("products", "製品サポート", "Product support"): [
        {
            "ja_titles": ["{p}の電源が入らない", "{p}が故障したときは", "{p}の保証と修理について"],
            "en_titles": [
                "My {p} does not turn on",
                "What to do if your {p} is broken",
                "Warranty and repairs for a {p}",
            ],
            "ja_summary": "{p}の保証期間はお買い上げから{n}年間です。",
            "en_summary": "Your {p} is under warranty for {n} years from purchase.",
            "ja": [
                "{p}の電源が入らない場合は、まず{n}時間以上充電してから電源ボタンを長押ししてください。",
                "それでも改善しない場合は、保証書と購入日のわかるものをご用意のうえお問い合わせください。",
                "保証期間内の自然故障は無償で修理いたします。修理には{n}週間ほどかかります。",
            ],
            "en": [
                "If your {p} does not turn on, charge it for at least {n} hours and hold the "
                "power button.",
                "If that does not help, contact us with the warranty card and proof of purchase.",
                "Faults under warranty are repaired free of charge; a repair takes about {n} "
                "weeks.",
            ],
        },
        {
            "ja_titles": ["{p}の初期設定", "{p}の使い方ガイド", "{p}をスマートフォンと接続する"],
            "en_titles": [
                "Setting up your {p}",
                "Getting started with a {p}",
                "Pairing your {p} with a phone",
            ],
            "ja_summary": "{p}の初期設定は{n}分ほどで完了します。",
            "en_summary": "Setting up a {p} takes about {n} minutes.",
            "ja": [
                "{p}を箱から取り出し、付属のケーブルで充電してください。",
                "スマートフォンのBluetoothをオンにして、設定画面から{p}を選びます。",
                "接続できない場合は、{p}をリセットしてからもう一度お試しください。",
            ],
            "en": [
                "Take the {p} out of the box and charge it with the supplied cable.",
                "Turn on Bluetooth on your phone and choose the {p} in its settings.",
                "If it does not connect, reset the {p} and try again.",
            ],
        },
    ],
}
# Sections per topic: the same topic over several product ranges, as real centers grow.
SECTION_RANGES = [
    ("home", "ホーム", "Home"),
    ("outdoor", "アウトドア", "Outdoor"),
    ("digital", "デジタル", "Digital"),
    ("kitchen", "キッチン", "Kitchen"),
]
# A few sections are not public, so the visibility filter is exercised at scale.
RESTRICTED = {("account", "digital"): "signed_in", ("products", "kitchen"): "agents"}


# ------------------------------------------------------------------------ text, cached


class TextCache:
    """Per distinct text: rendered HTML, plain text, and its lexemes split as index_terms has
    them (segment lexemes, then Sudachi content words), so a body's lexemes are assembled
    from its paragraphs' without running the analyzer again."""

    def __init__(self):
        from helpdesk import search
        from knowledge.markdown import plain_text, render_markdown

        self._search, self._plain_text, self._render = search, plain_text, render_markdown

    @cache  # noqa: B019 - one cache per load, dropped with the instance
    def parts(self, text: str) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
        """(html, plain text, segment lexemes, content words) of one Markdown paragraph."""
        html = self._render(text)
        plain = self._plain_text(html)
        return (html, plain, *self.lexemes(plain))

    @cache  # noqa: B019
    def lexemes(self, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """index_terms(text) in its two halves: lexemes of the segments, then content words."""
        s = self._search
        segments: list[str] = []
        runs: list[str] = []
        for kind, segment in s._segments(s.normalize(text)):
            if kind == "cjk":
                runs.append(segment)
                segments.extend(s._bigrams(segment))
            elif kind == "email":
                local, _at, domain = segment.partition("@")
                segments += [
                    s._joined(segment),
                    *s._compound_lexemes(local),
                    *s._compound_lexemes(domain),
                ]
            else:
                segments.extend(s._compound_lexemes(segment))
        words = tuple(s._content_words(runs)) if runs else ()
        return tuple(segments), words

    def terms(self, *texts: str) -> str:
        """index_terms of the texts written one after the other (separated by no word)."""
        halves = [self.lexemes(text) for text in texts]
        return " ".join([t for h in halves for t in h[0]] + [t for h in halves for t in h[1]])

    def body(self, paragraphs: list[str]) -> tuple[str, str, str, str]:
        """(markdown, html, plain text, lexemes) of paragraphs joined as one body."""
        parts = [self.parts(p) for p in paragraphs]
        html = "".join(p[0] for p in parts)
        plain = " ".join(p[1] for p in parts)
        terms = " ".join([t for p in parts for t in p[2]] + [t for p in parts for t in p[3]])
        return "\n\n".join(paragraphs), html, plain, terms


def _check_against_the_real_functions(cache: TextCache, samples: list[tuple]) -> None:
    """Assembled HTML, text and lexemes must equal what knowledge.services would store."""
    from helpdesk.search import index_terms
    from knowledge.markdown import plain_text, render_markdown

    for title, paragraphs in samples:
        body, html, plain, terms = cache.body(paragraphs)
        assert render_markdown(body) == html, "body_html differs from render_markdown"
        assert plain_text(html) == plain, "body_text differs from plain_text"
        assert index_terms(plain) == terms, "body lexemes differ from index_terms"
        base, _sep, number = title.rpartition("No.")
        assert index_terms(title) == cache.terms(base, f"No.{number}"), "title lexemes differ"


# ------------------------------------------------------------------------ rows


def _sections():
    categories, sections = [], []
    for c_pos, ((c_slug, c_ja, c_en), topics) in enumerate(TOPICS.items(), start=1):
        categories.append((f"{BENCH_PREFIX}{c_slug}", c_ja, c_en, c_pos))
        for s_pos, (r_slug, r_ja, r_en) in enumerate(SECTION_RANGES, start=1):
            audience = RESTRICTED.get((c_slug, r_slug), "everyone")
            sections.append(
                (
                    f"{BENCH_PREFIX}{c_slug}-{r_slug}",
                    f"{c_ja}（{r_ja}）",
                    f"{c_en} ({r_en})",
                    s_pos,
                    f"{BENCH_PREFIX}{c_slug}",
                    audience,
                    topics,
                )
            )
    return categories, sections


def _fill(template: str, product: tuple[str, str], language: str, number: int) -> str:
    return template.format(p=product[0] if language == "ja" else product[1], n=number)


def generate_articles(connection, *, count: int = 100_000, seed: int = 7) -> None:
    """Fill the knowledge tables with `count` published public bench articles (see above)."""
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cursor = getattr(django_cursor, "cursor", django_cursor)  # psycopg's, for COPY
        cursor.execute(
            "SELECT count(DISTINCT a.id) FROM knowledge_article a "
            "JOIN knowledge_section s ON s.id = a.section_id "
            "JOIN knowledge_articletranslation t ON t.article_id = a.id "
            "WHERE s.slug LIKE %s AND s.audience = 'everyone' AND NOT a.internal "
            "AND t.status = 'published'",
            [f"{BENCH_PREFIX}%"],
        )
        if cursor.fetchone()[0] == count:
            return
        _delete_bench_articles(cursor)
        indexes = secondary_indexes(cursor, [TABLE, "knowledge_article"])
        drop_indexes(cursor, indexes)
        section_ids = _write_sections(cursor)
        _write_articles(cursor, section_ids, count, random.Random(seed))
        # Foreign keys are checked now (unless the caller switched triggers off): an index
        # cannot be built on a table with checks still pending in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        create_indexes(cursor, indexes)
        for table in ("knowledge_category", "knowledge_section", "knowledge_article", TABLE):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
            cursor.execute(f"ANALYZE {table}")
    print(f"  {count} help-center articles in {time.perf_counter() - started:.0f} s")  # noqa: T201


def _delete_bench_articles(cursor) -> None:
    bench = "(SELECT id FROM knowledge_section WHERE slug LIKE %s)"
    like = [f"{BENCH_PREFIX}%"]
    cursor.execute(
        f"DELETE FROM {TABLE} WHERE article_id IN "
        f"(SELECT id FROM knowledge_article WHERE section_id IN {bench})",
        like,
    )
    cursor.execute(f"DELETE FROM knowledge_article WHERE section_id IN {bench}", like)
    cursor.execute(f"DELETE FROM knowledge_section_organizations WHERE section_id IN {bench}", like)
    cursor.execute(f"DELETE FROM knowledge_section_editor_teams WHERE section_id IN {bench}", like)
    cursor.execute("DELETE FROM knowledge_section WHERE slug LIKE %s", like)
    cursor.execute("DELETE FROM knowledge_category WHERE slug LIKE %s", like)


def _write_sections(cursor) -> list[tuple[int, str, list[dict]]]:
    now = datetime.now(UTC)
    categories, sections = _sections()
    category_ids = {}
    for slug, name_ja, name_en, position in categories:
        cursor.execute(
            "INSERT INTO knowledge_category (slug, name_ja, name_en, description_ja, "
            "description_en, position, updated_at) VALUES (%s, %s, %s, '', '', %s, %s) "
            "RETURNING id",
            [slug, name_ja, name_en, 100 + position, now],
        )
        category_ids[slug] = cursor.fetchone()[0]
    found = []
    for slug, name_ja, name_en, position, category, audience, topics in sections:
        cursor.execute(
            "INSERT INTO knowledge_section (slug, name_ja, name_en, description_ja, "
            "description_en, position, updated_at, category_id, audience, editor_roles) "
            "VALUES (%s, %s, %s, '', '', %s, %s, %s, %s, '{}') RETURNING id",
            [slug, name_ja, name_en, position, now, category_ids[category], audience],
        )
        found.append((cursor.fetchone()[0], audience, topics))
    return found


def _write_articles(cursor, sections, count: int, rng: random.Random) -> None:
    cache = TextCache()
    now = datetime.now(UTC).replace(microsecond=0)
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM knowledge_article")
    first_article = cursor.fetchone()[0] + 1
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}")
    translation_id = cursor.fetchone()[0]
    public = [s for s in sections if s[1] == "everyone"]
    extra = int(count * (INTERNAL_SHARE + DRAFT_SHARE))
    articles, translations, samples = [], [], []
    for number in range(count + extra):
        article_id = first_article + number
        hidden = number >= count  # the extra ones: internal, draft, or in a restricted section
        pool = sections if hidden else public
        section_id, _audience, topics = pool[rng.randrange(len(pool))]
        topic = topics[rng.randrange(len(topics))]
        product = PRODUCTS[rng.randrange(len(PRODUCTS))]
        figure = rng.randint(2, 9)
        internal = hidden and number % 2 == 0
        draft = hidden and not internal
        articles.append(
            (
                article_id,
                section_id,
                number % 1000,
                internal,
                None,
                ["faq"] if number % 500 == 0 else [],
                now - timedelta(days=number % 700),
            )
        )
        roll = rng.random()
        languages = ["ja"] if roll < 0.35 else ["en"] if roll < 0.7 else ["ja", "en"]
        for language in languages:
            translation_id += 1
            titles = topic[f"{language}_titles"]
            base = _fill(titles[rng.randrange(len(titles))], product, language, figure)
            # Numbered so titles stay distinct: "… (No.123)" / "…（No.123）". The number is
            # its own segment, so the analyzed template is reused.
            base = f"{base} (" if language == "en" else f"{base}（"
            suffix = f"No.{number})" if language == "en" else f"No.{number}）"
            title = base + suffix
            paragraphs = [_fill(p, product, language, figure) for p in topic[language]]
            rng.shuffle(paragraphs)
            paragraphs = paragraphs[: rng.randint(2, len(paragraphs))]
            summary = _fill(topic[f"{language}_summary"], product, language, figure)
            body, html, plain, body_terms = cache.body(paragraphs)
            if len(samples) < 20:
                samples.append((title, paragraphs))
            slug = f"{slugify(title, allow_unicode=True)[:100]}-{article_id}"
            updated = now - timedelta(days=number % 365, minutes=number % 1440)
            translations.append(
                (
                    translation_id,
                    article_id,
                    language,
                    title,
                    slug,
                    summary,
                    body,
                    html,
                    plain,
                    "draft" if draft else "published",
                    None if draft else updated,
                    updated,
                    rng.randint(0, 40),
                    rng.randint(0, 10),
                    cache.terms(base, suffix),
                    cache.terms(summary),
                    body_terms,
                )
            )
    _check_against_the_real_functions(cache, samples)
    copy_rows(
        cursor,
        "knowledge_article",
        ["id", "section_id", "position", "internal", "author_id", "labels", "created_at"],
        articles,
    )
    cursor.execute(
        "CREATE TEMP TABLE bench_article_terms (id bigint, article_id bigint, language text, "
        "title text, slug text, summary text, body text, body_html text, body_text text, "
        "status text, published_at timestamptz, updated_at timestamptz, helpful int, "
        "unhelpful int, title_terms text, summary_terms text, body_terms text)"
    )
    copy_rows(
        cursor,
        "bench_article_terms",
        [
            "id",
            "article_id",
            "language",
            "title",
            "slug",
            "summary",
            "body",
            "body_html",
            "body_text",
            "status",
            "published_at",
            "updated_at",
            "helpful",
            "unhelpful",
            "title_terms",
            "summary_terms",
            "body_terms",
        ],
        translations,
    )
    # The expression knowledge.search.translation_vector makes Django write (title A,
    # summary B, body C), evaluated by PostgreSQL itself.
    cursor.execute(
        f"INSERT INTO {TABLE} (id, article_id, language, title, slug, summary, body, body_html, "
        "body_text, status, published_at, updated_at, helpful_votes, unhelpful_votes, "
        "search_vector) SELECT id, article_id, language, title, slug, summary, body, body_html, "
        "body_text, status, published_at, updated_at, helpful, unhelpful, "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(title_terms, '')), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(summary_terms, '')), 'B') || "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(body_terms, '')), 'C') "
        "FROM bench_article_terms"
    )
    cursor.execute("DROP TABLE bench_article_terms")
