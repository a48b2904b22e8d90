"""The answer bot: a customer's question in, the best published articles out, each with a short
extract and a confidence. No language model: the help center's own search ranks, a threshold
decides.

A question is a sentence, not a search ("注文をキャンセルしたいのですが、どうすればいいですか"),
so it is first cut into keywords (Japanese content words by the shared tokenizer, English words
without the little ones); an article matching any of them is a candidate, ranked by the same
weighted vectors the help-center search uses. Confidence is how many of the keywords the
article holds (coverage) times how strong the match is (a title hit is far stronger than a
body hit). Customers only ever get what an anonymous visitor may read: never internal or draft
articles, whoever is signed in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html import unescape

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator

from helpdesk import search as text_search

from .models import Article, BotQuestion, BotSource, Language
from .search import MAX_QUERY_CHARS, _raw, ranked_matches, snippet
from .seo import article_path

MAX_QUESTION_CHARS = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_KEYWORDS = 12
CANDIDATES = 10
ANSWERS = 3
# ts_rank (weights and normalization as in knowledge.search, over the any-keyword query) at
# which a match counts as fully strong: about a title hit. Body-only hits rank a fifth of it.
STRONG_RANK = 0.08
WEIGHT_STRENGTH, WEIGHT_COVERAGE, WEIGHT_SEPARATION = 0.5, 0.3, 0.2
# Below this an article is not offered at all; from CONFIDENT on the bot says it has an answer.
# Measured on the demo set: a clear title match of the whole question scores 0.9+ (a word in
# several titles 0.8), a body-only match of half its words about 0.4, a word in passing less.
MIN_CONFIDENCE = 0.35
CONFIDENT = 0.85
EXTRACT_CHARS = 200

# Words that make a question a sentence but say nothing of what it is about. English ones
# are dropped before stemming; Japanese ones are Sudachi's normalized forms.
_EN_FILLER = frozenset(
    "a an the i me my we our you your it its is are was were be been am do does did how what "  # noqa: SIM905
    "when where why who which can could would should will shall may might must to of in on at "
    "for from by with about and or but if not no so this that there here have has had get "
    "got please hi hello thanks thank want need help yet still".split()
)
_JA_FILLER = frozenset(
    "どう 如何 良い 為る 出来る 有る 居る 成る 言う 思う 何 方 事 物 為 下さる 頂く 教える "  # noqa: SIM905
    "欲しい 分かる 今 場合 様 御 件 未だ 既に もう".split()
)


@dataclass(frozen=True)
class BotAnswer:
    article_id: int
    title: str
    url: str
    extract: str  # plain text: the page or widget sets it as text, never as HTML
    confidence: float

    def as_json(self) -> dict:
        return {
            "id": self.article_id,
            "title": self.title,
            "url": self.url,
            "extract": self.extract,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class BotReply:
    question: BotQuestion
    answers: list[BotAnswer]

    @property
    def confident(self) -> bool:
        return bool(self.answers) and self.answers[0].confidence >= CONFIDENT

    def as_json(self) -> dict:
        return {
            "token": self.question.token,
            "confident": self.confident,
            "answers": [answer.as_json() for answer in self.answers],
        }


class BotRejected(ValueError):
    """The question or the answer to "did it help?" cannot be used: told back as a 4xx."""


def question_keywords(question: str) -> list[str]:
    """The words of a question worth searching for, in order, at most MAX_KEYWORDS."""
    keywords: list[str] = []
    for word in text_search.normalize(question)[:MAX_QUERY_CHARS].split():
        for kind, segment in text_search._segments(word):
            if kind == "cjk":
                found = [w for w in text_search._content_words([segment]) if w not in _JA_FILLER]
                keywords.extend(found or ([segment] if len(segment) <= 4 else []))
            else:
                keywords.extend(
                    part
                    for part in text_search._PARTS.findall(segment)
                    if part not in _EN_FILLER and (len(part) > 1 or part.isdecimal())
                )
    return list(dict.fromkeys(keywords))[:MAX_KEYWORDS]


def best_answers(question: str, language: str, limit: int = ANSWERS) -> list[BotAnswer]:
    """The articles that answer `question` best, at least MIN_CONFIDENCE sure, best first."""
    terms = [
        (word, e)
        for word in question_keywords(question)
        if (e := text_search.query_expression(word))
    ]
    if not terms:
        return []
    hits = {
        f"kw{i}": Case(
            When(search_vector=_raw(e), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for i, (_word, e) in enumerate(terms)
    }
    any_term = " | ".join(f"({e})" for _word, e in terms)
    ranked = ranked_matches(any_term, language, AnonymousUser(), CANDIDATES)
    rows = list(ranked.annotate(**hits)[:CANDIDATES])
    answers = []
    keywords = " ".join(word for word, _q in terms)
    for position, row in enumerate(rows):
        coverage = sum(getattr(row, name) for name in hits) / len(terms)
        confidence = confidence_of(
            rank=row.rank,
            coverage=coverage,
            runner_up=(rows[1].rank if len(rows) > 1 else 0.0) if position == 0 else None,
        )
        if confidence < MIN_CONFIDENCE:
            continue
        answers.append(
            BotAnswer(
                article_id=row.article_id,
                title=row.title,
                url=article_path(row),
                extract=_extract(row.body_text or row.summary, keywords),
                confidence=confidence,
            )
        )
    answers.sort(key=lambda answer: -answer.confidence)
    return answers[:limit]


def confidence_of(*, rank: float, coverage: float, runner_up: float | None) -> float:
    """0…1: how strong the match is, how much of the question it covers, and — for the best
    article only (`runner_up` given) — how clearly it beats the next one."""
    strength = min(rank / STRONG_RANK, 1.0)
    separation = (1 - runner_up / rank) if runner_up is not None and rank > 0 else 0.0
    return round(
        WEIGHT_STRENGTH * strength + WEIGHT_COVERAGE * coverage + WEIGHT_SEPARATION * separation,
        4,
    )


def _extract(text: str, keywords: str) -> str:
    # snippet() escapes and marks; the bot hands out plain text, so undo both.
    plain = unescape(strip_tags(snippet(text, keywords, width=EXTRACT_CHARS)))
    return Truncator(plain).chars(EXTRACT_CHARS + 2)


def ask_bot(*, question: str, language: str, source: str, form_token: str = "") -> BotReply:
    """Answer `question` and remember what was offered (for "solved" and the reports)."""
    # Control characters (NUL, which PostgreSQL refuses to store) are never part of a question.
    question = " ".join(_CONTROL.sub(" ", question or "").split())
    if not question:
        raise BotRejected("Ask a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise BotRejected(f"The question is longer than {MAX_QUESTION_CHARS} characters.")
    if language not in Language.values or source not in BotSource.values:
        raise BotRejected("Unknown language or source.")
    answers = best_answers(question, language)
    record = BotQuestion.objects.create(
        token=secrets.token_urlsafe(24),
        source=source,
        language=language,
        question=question[:MAX_QUERY_CHARS],
        offered=[answer.article_id for answer in answers],
        confidence=answers[0].confidence if answers else 0,
        form_token=form_token[:64],
    )
    return BotReply(record, answers)


def mark_solved(*, token: str, article_id: int) -> BotQuestion:
    """ "This solved my problem": a deflection, counted once per question whatever the clicks.

    Only an article the bot offered for this question can be the one that solved it.
    """
    record = BotQuestion.objects.filter(token=token).first() if token else None
    if record is None:
        raise BotQuestion.DoesNotExist
    if article_id not in record.offered:
        raise BotRejected("That article was not offered for this question.")
    if record.solved_at is None:
        updated = BotQuestion.objects.filter(pk=record.pk, solved_at__isnull=True).update(
            solved_article=Article.objects.filter(pk=article_id).first(),
            solved_at=timezone.now(),
        )
        if updated:
            record.refresh_from_db()
    return record


def mark_bot_questions_led_to_ticket(form_token: str) -> int:
    """The contact form these questions came from was sent after all: not a deflection."""
    if not form_token:
        return 0
    return BotQuestion.objects.filter(form_token=form_token, solved_at__isnull=True).update(
        led_to_ticket=True
    )
