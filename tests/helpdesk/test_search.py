"""helpdesk.search: normalization, lexemes, queries, and what PostgreSQL makes of them."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection

from helpdesk import search
from helpdesk.search import index_terms, normalize, query_expression, query_terms


def matches(document: str, query: str) -> bool:
    """Does `query` find `document`, through the same SQL the app runs?"""
    expression = query_expression(query)
    if not expression:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_tsvector('simple', %s) @@ to_tsquery('simple', %s)",
            [index_terms(document), expression],
        )
        return cursor.fetchone()[0]


# --- normalize --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ＡＢＣ１２３", "abc123"),
        ("ﾍﾝﾋﾟﾝ", "ヘンピン"),
        ("Refunds  AND\treturns\n", "refunds and returns"),
        ("Straße", "strasse"),
        ("a\x00b", "a b"),
        ("", ""),
    ],
)
def test_normalize_unifies_width_case_and_space(text, expected):
    assert normalize(text) == expected


# --- lexemes ----------------------------------------------------------------------------------


def test_japanese_gives_dictionary_forms_and_bigrams():
    lexemes = index_terms("返品したいのですが").split()
    assert "返品" in lexemes  # Sudachi: 返品 / し / たい …, function words dropped
    assert {"品し", "した", "たい"} <= set(lexemes)  # bigrams
    assert "為る" not in lexemes and "する" not in lexemes  # a light verb is not a content word
    assert "届く" in index_terms("届きません").split()  # conjugated → dictionary form


def test_run_ends_are_indexed_alone_so_one_character_prefixes_reach_them():
    assert "届" in index_terms("未着届").split()


def test_english_is_stemmed():
    assert index_terms("Refunds and returns").split() == ["refund", "and", "return"]
    assert index_terms("refunded").split() == ["refund"]
    assert index_terms("customer's").split() == index_terms("customer").split()


def test_ids_and_numbers_stay_whole_and_split():
    assert index_terms("E-403").split() == ["e403", "e", "403"]
    assert index_terms("10,482円").split()[:3] == ["10482", "10", "482"]
    assert index_terms("#10482").split() == ["10482"]


def test_emails_stay_whole_and_split_at_at_and_dots():
    lexemes = index_terms("Yamada.Taro@Example.CO.JP").split()
    assert lexemes[0] == "yamadataroexamplecojp"
    assert {"yamadataro", "yamada", "taro", "examplecojp", "co", "jp"} <= set(lexemes)


def test_lexemes_are_letters_and_digits_only():
    text = 'a\'b "c" d:*e & f|g !h (i) <-> j\\k 返品！ E-403 x@y.jp \x00 ① ㈱'
    for lexeme in index_terms(text).split():
        assert re.fullmatch(r"\w+", lexeme) and "_" not in lexeme, lexeme


def test_messages_indexed_one_by_one_equal_the_whole_text():
    first, second = "返品したい。E-403", "Refunds: aiko@example.com 届きません"
    whole = index_terms(first + "\n" + second).split()
    pieces = f"{search.index_terms_cached(first)} {search.index_terms_cached(second)}".split()
    assert sorted(pieces) == sorted(whole)  # the same lexemes (their order may differ)
    assert search.index_terms_cached("x" * 9000) == index_terms("x" * 9000)  # too big to keep


def test_long_lexemes_are_capped():
    assert max(len(lexeme) for lexeme in index_terms("x" * 5000).split()) == 64


# --- queries ----------------------------------------------------------------------------------


def test_a_japanese_word_matches_by_its_words_or_by_all_its_bigrams():
    assert query_expression("返品したい") == "('返品' | ('返品' & '品し' & 'した' & 'たい'))"


def test_one_character_is_a_prefix_match():
    assert query_expression("届") == "('届け' | '届':*)"


def test_words_are_all_required():
    assert query_expression("配送 refund E-403") == "'配送' & 'refund' & 'e403'"


@pytest.mark.parametrize("text", ["", "   ", "'", "&|!():*", "''", "\\", "\x00", "<->", "!!!"])
def test_nothing_searchable_gives_no_query(text):
    assert query_expression(text) == ""
    assert query_terms(text) is None


HOSTILE = [
    "'",
    "&|!():*",
    "a' | 'b",
    "x'); DROP TABLE tickets_ticket; --",
    "返品' & !'交換",
    "\\' OR 1=1",
    "a:*",
    "foo <-> bar",
    "a\x00b",
    "あ" * 5000,
    "word " * 3000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_become_quoted_lexemes_only(text):
    expression = query_expression(text)
    # Nothing but quoted letters/digits joined by our own operators and parentheses.
    stripped = re.sub(r"'[^'\\\s]+'(:\*)?", "L", expression)
    assert re.fullmatch(r"[L&|() ]*", stripped), expression


@pytest.mark.django_db
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_run_and_do_not_match_unrelated_text(text):
    assert not matches("配送についての問い合わせ shipping question", text)


def test_long_queries_are_bounded():
    expression = query_expression("返品について " * 2000 + " refund" * 2000)
    assert expression.count("'") <= 2 * 60


# --- what PostgreSQL matches ------------------------------------------------------------------

FINDS = [
    ("返品", "返品したいのですが"),
    ("返品したい", "返品・交換について"),
    ("届", "届きません"),
    ("届かない", "商品が届きません"),
    ("ＡＢＣ１２３", "abc123 のケース"),
    ("ﾍﾝﾋﾟﾝ", "ヘンピンについて"),
    ("refund", "Refunds and returns"),
    ("refunded", "refund"),
    ("Refunds", "I want my money back: refund please"),
    ("E-403", "order E-403 is late"),
    ("e403", "order E-403 is late"),
    ("E 403", "order E-403 is late"),
    ("10482", "注文番号 10482 の件"),
    ("@example.com", "from aiko@example.com"),
    ("aiko@example.com", "from aiko@example.com"),
    ("example.com", "from aiko@example.com"),
    ("配送 遅延", "配送が遅延しています"),
    ("返品 refund", "返品 / refund request"),
    ("カスタマーサポート", "カスタマー・サポート窓口"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("query, document", FINDS)
def test_query_finds_document(query, document):
    assert matches(document, query)


MISSES = [
    ("返品", "交換について"),
    ("refund", "returns only"),
    ("refund shipping", "refund please"),  # every word must match
    ("届", "お問い合わせ"),
    ("E-403", "order E-404"),
    ("@example.com", "from aiko@example.org"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("query, document", MISSES)
def test_query_misses_document(query, document):
    assert not matches(document, query)


# --- the tokenizer per thread -----------------------------------------------------------------


def test_each_thread_has_its_own_tokenizer_on_one_shared_dictionary():
    tokenizers, results = {}, {}

    def work(name: str) -> None:
        tokenizers[name] = search._tokenizer()
        results[name] = [index_terms("返品したいのですが、届きません") for _ in range(50)]

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({id(tokenizer) for tokenizer in tokenizers.values()}) == 4
    assert search._tokenizer() is search._tokenizer()  # cached within a thread
    expected = index_terms("返品したいのですが、届きません")
    assert all(value == expected for values in results.values() for value in values)
