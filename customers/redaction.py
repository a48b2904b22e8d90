"""Masking secrets customers paste into messages: card numbers, My Number, passwords.

A pure function over text, so every inbound path (mail, chat, LINE …) can call it on the
message body before it is stored or indexed for search: once a card number is in the database
and its search index, it is in every backup too.

- Card numbers: 13–19 digits, optionally grouped by spaces or hyphens, full-width digits too
  (Japanese input methods type ４１１１), that pass the Luhn check. All but the last four
  digits become "•", so an agent can still say "the card ending 1111".
- My Number (個人番号): 12 digits whose last one is the check digit of the Ministry's formula.
  One random 12-digit number in eleven passes that check, and Yamato tracking numbers are 12
  digits too, so a number right after a tracking/order word (追跡, 伝票, お問い合わせ番号,
  注文, tracking, order …) is left alone unless a My Number word is near.
- Passwords: the value after "password:", "パスワード：", "暗証番号は" … (up to the next space).
- Extra patterns: `settings.PII_REDACT_PATTERNS`, a list of regular expressions whose whole
  match is masked (e.g. a member id format).
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.conf import settings

MASK_CHAR = "•"
PASSWORD_MASK = "••••••"

_DIGIT = r"[0-9０-９]"
_SEP = r"[ \-‐－−　]"
# A run of digits and single separators, not part of a longer run (or of a word).
_START = rf"(?<![0-9０-９A-Za-z])(?<!{_DIGIT}{_SEP})"
_END = rf"(?![0-9０-９A-Za-z])(?!{_SEP}{_DIGIT})"
_CARD = re.compile(rf"{_START}{_DIGIT}(?:{_SEP}?{_DIGIT}){{12,18}}{_END}")
_MY_NUMBER = re.compile(rf"{_START}{_DIGIT}{{4}}{_SEP}?{_DIGIT}{{4}}{_SEP}?{_DIGIT}{{4}}{_END}")
_PASSWORD = re.compile(
    r"(?P<label>(?<![A-Za-z])(?:password|passwd|passcode|pwd|pin)(?![A-Za-z])|パスワード|暗証番号|ＰＩＮ)"
    r"(?P<sep>\s*(?:[:：=＝]|is|は)\s*)"
    r"(?P<value>[^\s、。,]+)",
    re.IGNORECASE,
)
_MY_NUMBER_WORDS = re.compile(r"マイナンバー|個人番号|my\s*number|individual\s*number", re.I)
_NOT_MY_NUMBER_WORDS = re.compile(
    r"追跡|伝票|問い?合わ?せ番号|お問合せ|配送|注文|受注|tracking|track|order|invoice|電話|tel",
    re.I,
)
_CONTEXT = 30  # characters before a number that say what it is
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def redact_pii(text: str) -> str:
    """`text` with card numbers, My Numbers, passwords and configured patterns masked."""
    if not text:
        return text
    text = _CARD.sub(_mask_card, text)
    text = _MY_NUMBER.sub(lambda m: _mask_my_number(m, text), text)
    text = _PASSWORD.sub(lambda m: f"{m['label']}{m['sep']}{PASSWORD_MASK}", text)
    for pattern in _configured_patterns(tuple(getattr(settings, "PII_REDACT_PATTERNS", ()))):
        text = pattern.sub(lambda m: MASK_CHAR * len(m.group(0)), text)
    return text


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def my_number_valid(digits: str) -> bool:
    """The check digit of a 12-digit Individual Number (番号法施行令 第八条)."""
    if len(digits) != 12 or not digits.isdecimal():
        return False
    body = [int(c) for c in digits[:11]]
    total = 0
    for n in range(1, 12):  # n counts from the right of the 11-digit body
        weight = n + 1 if n <= 6 else n - 5
        total += body[11 - n] * weight
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


def _digits(text: str) -> str:
    return "".join(ch for ch in text.translate(_FULLWIDTH) if ch.isdecimal())


def _mask_card(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = _digits(found)
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits) or len(set(digits)) == 1:
        return found
    keep = len(digits) - 4
    out, seen = [], 0
    for ch in found:
        if ch.translate(_FULLWIDTH).isdecimal():
            out.append(MASK_CHAR if seen < keep else ch)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def _mask_my_number(match: re.Match[str], whole: str) -> str:
    found = match.group(0)
    if MASK_CHAR in found or not my_number_valid(_digits(found)):
        return found
    before = whole[max(0, match.start() - _CONTEXT) : match.start()]
    if _NOT_MY_NUMBER_WORDS.search(before) and not _MY_NUMBER_WORDS.search(before):
        return found
    return "".join(MASK_CHAR if ch.translate(_FULLWIDTH).isdecimal() else ch for ch in found)


@lru_cache(maxsize=4)
def _configured_patterns(sources: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(source) for source in sources]
