"""`customers.privacy.redact_pii`: secrets customers paste are masked before storage."""

import pytest

from customers.privacy import redact_pii
from customers.redaction import luhn_valid, my_number_valid

VISA_TEST = "4111 1111 1111 1111"  # Luhn-valid test numbers published by the card schemes
MASTERCARD_TEST = "5555555555554444"
AMEX_TEST = "3782-822463-10005"
MY_NUMBER = "123456789018"  # check digit 8 by the Individual Number formula


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"カード番号は {VISA_TEST} です", "カード番号は •••• •••• •••• 1111 です"),
        (f"card {MASTERCARD_TEST}.", "card ••••••••••••4444."),
        (f"Amex: {AMEX_TEST}", "Amex: ••••-••••••-•0005"),
        ("全角 ４１１１－１１１１－１１１１－１１１１", "全角 ••••－••••－••••－１１１１"),
    ],
)
def test_card_numbers_that_pass_luhn_keep_only_the_last_four(text, expected):
    assert redact_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails: an order or member number, not a card
        "注文番号 2026112012345678",  # fails Luhn too
        "電話 090-1234-5678",
        "0000 0000 0000 0000",  # Luhn-valid but no card is all zeros
        "2026-11-20 14:30 に届きました",
    ],
)
def test_numbers_that_are_not_cards_stay(text):
    assert redact_pii(text) == text


def test_a_card_inside_a_longer_digit_run_is_not_cut_out():
    text = "ref 4111111111111111123456"  # 22 digits: not a card number
    assert redact_pii(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"マイナンバーは{MY_NUMBER}です", "マイナンバーは••••••••••••です"),
        ("個人番号 1234 5678 9018 を送ります", "個人番号 •••• •••• •••• を送ります"),
        (f"my number is {MY_NUMBER}", "my number is ••••••••••••"),
        (f"念のため {MY_NUMBER} です", "念のため •••••••••••• です"),
    ],
)
def test_my_number_with_a_valid_check_digit_is_masked(text, expected):
    assert redact_pii(text) == expected


def test_a_twelve_digit_number_with_a_wrong_check_digit_stays():
    assert redact_pii("マイナンバー 123456789012") == "マイナンバー 123456789012"


def test_a_tracking_number_is_not_taken_for_a_my_number():
    # Yamato tracking numbers are 12 digits too; one in eleven passes the My Number check.
    for text in (
        f"追跡番号: {MY_NUMBER}",
        f"お問い合わせ番号 {MY_NUMBER}",
        f"tracking {MY_NUMBER}",
    ):
        assert redact_pii(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("パスワード：abc123!", "パスワード：••••••"),
        ("パスワードは hunter2 です", "パスワードは •••••• です"),
        ("my password is hunter2.", "my password is ••••••"),
        ("Password=S3cret", "Password=••••••"),
        ("暗証番号は1234、よろしく", "暗証番号は••••••、よろしく"),
    ],
)
def test_passwords_after_a_label_are_masked(text, expected):
    assert redact_pii(text) == expected


def test_ordinary_text_and_empty_input_pass_through():
    assert redact_pii("") == ""
    text = "商品が届きません。注文番号は #10482 です。"
    assert redact_pii(text) == text


def test_configured_patterns_are_masked(settings):
    settings.PII_REDACT_PATTERNS = [r"MEM-\d{6}"]
    assert redact_pii("会員番号 MEM-123456 です") == "会員番号 •••••••••• です"


def test_luhn_and_my_number_checks():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert my_number_valid(MY_NUMBER) and not my_number_valid("123456789012")
    assert not my_number_valid("12345678901")
