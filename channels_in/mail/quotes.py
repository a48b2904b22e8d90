"""A customer's reply split into what is new, their signature, and the history they quoted.

Pure text in, text out: `Message.body_text` keeps the whole mail, and the timeline shows
`visible` with the rest one click away. The patterns are those of the mailers people use
(Gmail, Outlook, Apple Mail, Thunderbird, Yahoo, AOL, phones) in English, Japanese and the
European languages the talon and email-reply-parser corpora cover. When in doubt nothing is
hidden: a split that hides a customer's words is worse than one that shows a quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ATTRIBUTION_LINES = 3  # Gmail wraps "On …, Name <address> wrote:" over two or three
SIGNATURE_MAX_LINES = 12
FOOTER_MAX_LINES = 6

_QUOTED = re.compile(r"^\s*(>|＞)")
_SEPARATOR = re.compile(
    r"^\s*[-_=*]*\s*(?:original message|ursprüngliche nachricht|message d'origine"
    r"|mensaje original|messaggio originale|oorspronkelijk bericht|исходное сообщение"
    r"|元のメッセージ|オリジナルメッセージ|原始邮件|原始郵件|転送されたメッセージ"
    r"|reply message|reply above this line)\s*[-_=*]*\s*$",
    re.I,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{20,}\s*$")
# "From:" of a quoted header block; the block must also carry "Sent:"/"Date:" or "To:".
_BLOCK_FROM = re.compile(
    r"^\s*\**(?:from|von|de|da|van|от|差出人|送信者|发件人|寄件者)\s*\**\s*[:：]", re.I
)
_BLOCK_FIELD = re.compile(
    r"^\s*\**(?:sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|objet|à|enviado"
    r"|para|asunto|inviato|oggetto|verzonden|aan|onderwerp|отправлено|кому|тема"
    r"|送信日時|日付|日時|宛先|件名|发送时间|收件人|主题|寄件日期|收件者|主旨)\s*\**\s*[:：]",
    re.I,
)
_ATTRIBUTION = re.compile(
    r"^(?:>\s*)?(?:on|le|am|el|il|op|em|den|на|w dniu|\d{1,4}\s*[-/.年]|\(?\w{3},).{0,250}?"
    r"(?:wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał|написал"
    r"|написала|yazdı|kirjoitti|書きました|のメッセージ|からのメッセージ|さんは書きました"
    r"|写道|寫道)\s*[:：]\s*$",
    re.I,
)
# Gmail in Japanese: "2024年5月1日(水) 10:00 山田太郎 <taro@example.jp>:"
_JA_ATTRIBUTION = re.compile(
    r"^\d{4}年\d{1,2}月\d{1,2}日.{0,200}[<＜][^<>\s]+@[^<>\s]+[>＞]\s*[:：]\s*$"
)
# A line ending in ":" above a quote is an attribution only if it names a sender or a time;
# "Here is what I tried:" above a quote is the customer's own words.
_LOOKS_LIKE_ATTRIBUTION = re.compile(r"@|\d{1,2}:\d{2}|wrote|schrieb|écrit|メッセージ|書きました")
_SIG_DELIMITER = re.compile(r"^--\s?$")
_SIG_RULE = re.compile(r"^\s*([-=_*━─＝－～~#＿])\1{7,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from my [\w .'-]{1,40}|sent from (?:yahoo|outlook|mail for windows|aol)"
    r"[\w .'-]{0,40}|get outlook for [\w .-]{1,30}|sent with [\w .-]{1,30}"
    r"|von meinem [\w .-]{1,30} gesendet|envoyé de mon [\w .-]{1,30}"
    r"|(?:iphone|ipad|android|galaxy|xperia|aquos|arrows|docomo|au|softbank)[\w ]{0,20}から送信"
    r"|[\w ]{1,20}から送信)\s*$",
    re.I,
)


@dataclass(frozen=True)
class ReplyParts:
    visible: str
    signature: str = ""
    quoted: str = ""

    @property
    def hidden(self) -> str:
        """What the timeline folds away: signature, then the quoted history."""
        return "\n\n".join(part for part in (self.signature, self.quoted) if part)


def split_reply(text: str) -> ReplyParts:
    """Split a plain-text mail body; `visible` is never empty unless `text` is."""
    lines = text.replace("\r\n", "\n").split("\n")
    footer = _footer_start(lines)
    cut = _history_start(lines[:footer])
    if cut is not None:
        head, quoted = lines[:cut], lines[cut:]
    else:
        leading = _leading_quote_end(lines)
        if leading is None:
            head, quoted = lines, []
        else:  # quote on top, answer below (bottom-posting): the answer is the news
            head, quoted = lines[leading:], lines[:leading]
    if not _has_text(head):
        return ReplyParts(text.strip())
    head, signature = _split_signature(head)
    return ReplyParts(_join(head), _join(signature), _join(quoted))


def _history_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history that runs to the end, or None."""
    for index, line in enumerate(lines):
        if not line.strip() or not _has_text(lines[:index]):
            continue
        if _SEPARATOR.match(line) or _is_header_block(lines, index):
            return _with_rule_above(lines, index)
        if _OUTLOOK_RULE.match(line) and _is_header_block(lines, _next_text(lines, index + 1)):
            return index
        if _attribution_at(lines, index) and _rest_is_quoted_or_header(lines, index):
            return index
    return _trailing_quote_start(lines)


def _footer_start(lines: list[str]) -> int:
    """Where a mailing list's footer ("____" rule, list name, URL) starts, else the end:
    it follows the quote and must not pass for an answer below it."""
    last = _previous_text(lines, len(lines) - 1)
    if last is None:
        return len(lines)
    for index in range(last, max(-1, last - FOOTER_MAX_LINES - 1), -1):
        if not _OUTLOOK_RULE.match(lines[index]):
            continue
        tail = lines[index + 1 : last + 1]
        if (
            tail
            and not any(_QUOTED.match(line) for line in tail)
            and not _is_header_block(lines, _next_text(lines, index + 1))
        ):
            return index
    return len(lines)


def _attribution_at(lines: list[str], index: int) -> bool:
    for count in range(1, MAX_ATTRIBUTION_LINES + 1):
        chunk = lines[index : index + count]
        if len(chunk) < count or any(not line.strip() for line in chunk):
            return False
        joined = " ".join(line.strip() for line in chunk)
        if _ATTRIBUTION.match(joined) or _JA_ATTRIBUTION.match(joined):
            return True
    return False


def _rest_is_quoted_or_header(lines: list[str], index: int) -> bool:
    """After an attribution comes the quote (or, Outlook-style, the unquoted old mail):
    either way no '>'-free answer is interleaved after a '>' block."""
    rest = [line for line in lines[index + 1 :] if line.strip()]
    if not rest:
        return False
    seen_quote = False
    for line in rest:
        if _QUOTED.match(line):
            seen_quote = True
        elif seen_quote:
            return False
    return True


def _is_header_block(lines: list[str], index: int | None) -> bool:
    if index is None or index >= len(lines) or not _BLOCK_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 6] if line.strip()][:4]
    return sum(bool(_BLOCK_FIELD.match(line)) for line in following) >= 2


def _with_rule_above(lines: list[str], index: int) -> int:
    above = _previous_text(lines, index - 1)
    if above is not None and (_OUTLOOK_RULE.match(lines[above]) or _SIG_RULE.match(lines[above])):
        return above
    return index


def _trailing_quote_start(lines: list[str]) -> int | None:
    """Start of the '>' block that ends the mail, with its attribution line(s) above."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (_QUOTED.match(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    while start < end and not lines[start].strip():
        start += 1
    if start >= end or not _QUOTED.match(lines[start]):
        return None
    above = _previous_text(lines, start - 1)
    if above is not None and lines[above].rstrip().endswith((":", "：")):
        first = above
        while (
            first > 0
            and above - first < MAX_ATTRIBUTION_LINES - 1
            and lines[first - 1].strip()
            and not _QUOTED.match(lines[first - 1])
        ):
            first -= 1
        for candidate in range(first, above + 1):
            attribution = _attribution_at(lines, candidate) or (
                candidate == above and _LOOKS_LIKE_ATTRIBUTION.search(lines[above])
            )
            if attribution:
                return candidate if _has_text(lines[:candidate]) else None
        return None  # "Here is what I tried:" introduces the quote: it is part of the news
    return start if _has_text(lines[:start]) else None


def _leading_quote_end(lines: list[str]) -> int | None:
    """End of a quote that opens the mail (with its attribution), when only new text follows."""
    index = _next_text(lines, 0)
    if index is None:
        return None
    if not _QUOTED.match(lines[index]):
        if not _attribution_at(lines, index):
            return None
        while index < len(lines) and lines[index].strip() and not _QUOTED.match(lines[index]):
            index += 1
    while index < len(lines) and (_QUOTED.match(lines[index]) or not lines[index].strip()):
        index += 1
    rest = lines[index:]
    if not _has_text(rest) or any(_QUOTED.match(line) for line in rest):
        return None
    return index


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    last = _previous_text(lines, len(lines) - 1)
    if last is None:
        return lines, []
    window_start = max(0, last - SIGNATURE_MAX_LINES)
    for index in range(window_start, last + 1):
        line = lines[index]
        delimiter = _SIG_DELIMITER.match(line) or _SIG_RULE.match(line)
        if delimiter and index < last and _has_text(lines[:index]):
            return lines[:index], lines[index:]
    if _MOBILE_SIGNATURE.match(lines[last]) and _has_text(lines[:last]):
        return lines[:last], lines[last:]
    return lines, []


def _previous_text(lines: list[str], index: int) -> int | None:
    while index >= 0 and not lines[index].strip():
        index -= 1
    return index if index >= 0 else None


def _next_text(lines: list[str], index: int) -> int | None:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index if index < len(lines) else None


def _has_text(lines: list[str]) -> bool:
    return any(line.strip() for line in lines)


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()
