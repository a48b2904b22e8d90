"""A small, explainable sentiment score for public posts (Japanese and English).

Not a model: two word lists with weights. The score is the sum of the weights of the words
found, and the words are kept so an agent sees *why* a post scored as it did ("最悪 −2,
届かない −2"). English words are matched as whole words, and a negation just before one
("not good", "never arrived") flips it; Japanese has no spaces, so its words are matched as
substrings, with a few negated forms listed as words of their own (使えない, 届かない).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

JA_WORDS: dict[str, int] = {
    # positive
    "ありがとう": 2,
    "感謝": 2,
    "最高": 3,
    "素晴らしい": 3,
    "すばらしい": 3,
    "嬉しい": 2,
    "うれしい": 2,
    "助かり": 2,
    "助かる": 2,
    "便利": 2,
    "好き": 2,
    "大好き": 3,
    "おすすめ": 2,
    "オススメ": 2,
    "満足": 2,
    "丁寧": 2,
    "早い": 1,
    "速い": 1,
    "かわいい": 1,
    "美味しい": 2,
    "おいしい": 2,
    "良かった": 2,
    "よかった": 2,
    "神対応": 3,
    "快適": 2,
    # negative
    "最悪": -3,
    "ひどい": -2,
    "酷い": -2,
    "残念": -2,
    "不満": -2,
    "不良": -2,
    "壊れ": -2,
    "故障": -2,
    "届かない": -2,
    "届いてない": -2,
    "遅い": -1,
    "遅すぎ": -2,
    "返金": -1,
    "詐欺": -3,
    "使えない": -2,
    "困っ": -1,
    "怒": -2,
    "がっかり": -2,
    "二度と": -2,
    "炎上": -2,
    "不具合": -2,
    "対応が悪い": -3,
    "繋がらない": -2,
    "つながらない": -2,
    "高すぎ": -1,
    "まずい": -2,
    "不親切": -2,
}
EN_WORDS: dict[str, int] = {
    "thanks": 2,
    "thank": 2,
    "love": 3,
    "great": 2,
    "awesome": 3,
    "amazing": 3,
    "excellent": 3,
    "good": 1,
    "happy": 2,
    "helpful": 2,
    "fast": 1,
    "recommend": 2,
    "perfect": 3,
    "nice": 1,
    "best": 2,
    "works": 1,
    "bad": -2,
    "worst": -3,
    "terrible": -3,
    "awful": -3,
    "broken": -2,
    "refund": -1,
    "scam": -3,
    "slow": -1,
    "late": -1,
    "hate": -3,
    "angry": -2,
    "disappointed": -2,
    "useless": -2,
    "never": -1,
    "problem": -1,
    "issue": -1,
    "bug": -1,
    "rude": -2,
    "poor": -2,
    "fail": -2,
    "failed": -2,
    "missing": -1,
    "wrong": -1,
}
NEGATIONS = {"not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "hardly"}
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Sentiment:
    score: int
    words: list[dict]  # [{"word": "最悪", "weight": -3}, …] in the order found

    @property
    def label(self) -> str:
        return "positive" if self.score > 0 else "negative" if self.score < 0 else "neutral"


def score_text(text: str) -> Sentiment:
    found: list[dict] = []
    for word, weight in _japanese_hits(text):
        found.append({"word": word, "weight": weight})
    tokens = _WORD.findall(text.lower())
    for index, token in enumerate(tokens):
        weight = EN_WORDS.get(token)
        if (
            weight is None
            or token in NEGATIONS
            and index + 1 < len(tokens)
            and tokens[index + 1] in EN_WORDS
        ):
            continue  # "never" before a scored word only flips that word
        negated = index > 0 and tokens[index - 1] in NEGATIONS
        word = f"{tokens[index - 1]} {token}" if negated else token
        found.append({"word": word, "weight": -weight if negated else weight})
    return Sentiment(sum(item["weight"] for item in found), found)


def _japanese_hits(text: str) -> list[tuple[str, int]]:
    """Longest words first, each stretch of text counted once ("大好き" is not also "好き")."""
    taken = [False] * len(text)
    hits: list[tuple[int, str, int]] = []
    for word in sorted(JA_WORDS, key=len, reverse=True):
        start = text.find(word)
        while start != -1:
            end = start + len(word)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(word)
                hits.append((start, word, JA_WORDS[word]))
            start = text.find(word, end)
    return [(word, weight) for _start, word, weight in sorted(hits)]
