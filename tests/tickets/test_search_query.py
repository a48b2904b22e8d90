"""The search box parser: operators out, free text left, mistakes reported (no database)."""

from __future__ import annotations

import pytest

from tickets.search_query import parse_ticket_query, search_box_text


def test_operators_and_text_combine():
    query = parse_ticket_query("status:open tag:返品 from:@example.jp 配送")
    assert query.statuses == ("open",)
    assert query.tags == ("返品",)
    assert query.senders == ("@example.jp",)
    assert query.text == "配送"
    assert query.hints == []


def test_unsolved_expands_to_every_unsolved_status():
    assert parse_ticket_query("status:unsolved").statuses == ("new", "open", "pending", "on_hold")


def test_full_width_operators_typed_with_an_ime_work():
    query = parse_ticket_query("ｓｔａｔｕｓ：ｏｐｅｎ　返品")
    assert query.statuses == ("open",)
    assert query.text == "返品"


def test_values_are_case_insensitive_and_comma_lists_or():
    query = parse_ticket_query("Priority:HIGH,urgent Channel:LINE TAG:Refund")
    assert query.priorities == ("high", "urgent")
    assert query.channels == ("line",)
    assert query.tags == ("refund",)


def test_assignee_forms():
    assert parse_ticket_query("assignee:me").assignees == ("me",)
    assert parse_ticket_query("assignee:none").assignees == ("none",)
    assert parse_ticket_query("is:unassigned").assignees == ("none",)
    assert parse_ticket_query("assignee:Aiko@Example.com").assignees == ("Aiko@Example.com",)


def test_quoted_values_and_phrases():
    query = parse_ticket_query('team:"Support (EN)" from:"Olivia Brown" "refund request"')
    assert query.teams == ("Support (EN)",)
    assert query.senders == ("Olivia Brown",)
    assert query.text == "refund request"  # a phrase is all of its words


def test_unknown_operator_is_text_and_hinted():
    query = parse_ticket_query("foo:bar 返品")
    assert query.text == "foo:bar 返品"
    assert len(query.hints) == 1 and "foo:" in query.hints[0]


def test_unknown_value_is_text_and_hinted():
    query = parse_ticket_query("status:bogus")
    assert query.statuses == ()
    assert query.text == "status:bogus"
    assert "status:bogus" in query.hints[0]


def test_urls_and_times_are_plain_text():
    query = parse_ticket_query("https://shop.example.jp/orders/1 10:30")
    assert query.text == "https://shop.example.jp/orders/1 10:30"
    assert query.hints == []


def test_only_filters_is_not_empty_and_nothing_is_empty():
    assert not parse_ticket_query("is:unassigned").is_empty
    assert parse_ticket_query("   ").is_empty


@pytest.mark.parametrize(
    "raw", ["'", "&|!():*", '"', '"unclosed', "a\x00b", "x" * 10_000, ":", "a:"]
)
def test_hostile_input_parses(raw):
    query = parse_ticket_query(raw)
    assert "\x00" not in query.text
    assert len(query.text) <= 256


def test_long_input_is_cut_and_said_so():
    query = parse_ticket_query("返品 " * 500)
    assert len(query.hints) == 1


def test_search_box_text_is_safe_to_echo():
    assert search_box_text("  a\x00b\n c ") == "a b c"
    assert len(search_box_text("x" * 100_000)) <= 1024
