"""Japanese-aware text search on PostgreSQL: the one module every search in Madoguchi goes through.

Text is turned into lexemes here, in Python, on write and on query, so that documents and queries
are always cut the same way; PostgreSQL only stores and matches them (`to_tsvector('simple', …)`
and `to_tsquery('simple', …)`, GIN indexes, no extension: the embedded server has none).

- Everything is NFKC-normalized and casefolded first: full/half width (ＡＢＣ, ｶﾀｶﾅ) unify.
- Japanese (kanji/kana runs) gives two kinds of lexemes: SudachiPy's normalized forms of content
  words (返品した → 返品) *and* character bigrams of the run, so a one- or two-character query
  still finds its word even where the morphological analysis cut the text differently.
- Latin words are lowercased and stemmed (Snowball English: refunds, refunded → refund).
- Ids, numbers, emails and handles stay whole *and* split: "E-403" is the lexemes `e403`, `e`,
  `403`; "name@example.com" is `nameexamplecom`, `name`, `examplecom` and the (stemmed) parts,
  so "@example.com", "example.com" and the whole address each find it.

Every lexeme is letters and digits only, so PostgreSQL's parser keeps each one as exactly one
token (it would cut "e-403" into `e` and `-403`, and "a@b.jp" differently on each side).
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping

from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorCombinable,
)
from django.db.models import F, TextField, Value

SEARCH_CONFIG = "simple"
# ts_rank weights, in PostgreSQL's order D, C, B, A.
RANK_WEIGHTS = [0.1, 0.2, 0.4, 1.0]
# PostgreSQL refuses lexemes over 2 KB; ids and addresses longer than this are not typed by hand.
MAX_LEXEME_CHARS = 64
# A query is typed by a person: past these, the rest is ignored rather than searched slowly.
MAX_QUERY_CHARS = 256
MAX_QUERY_WORDS = 12
# SudachiPy refuses inputs over ~48 KB of UTF-8; runs are cut well below that.
_SUDACHI_CHUNK = 4000

# Kanji (with 々〆〇〻), hiragana and katakana, but not the ・ middle dot or ゛゜ marks, which
# separate words. Hangul and other scripts are written with spaces and go the latin way.
_CJK = (
    "\u3005-\u3007\u303b\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_WORD = f"[^\\W_{_CJK}]"  # a letter or digit that is not Japanese
_JOINER = "[-_./:#,+&]"  # inside one id, number or address: E-403, 10,482, a.b@c.jp
_SEGMENT = re.compile(
    rf"(?P<email>{_WORD}+(?:[-_.+]{_WORD}+)*@{_WORD}+(?:[-.]{_WORD}+)*)"
    rf"|(?P<cjk>[{_CJK}]+)"
    rf"|(?P<word>{_WORD}+(?:{_JOINER}{_WORD}+)*)"
)
_PARTS = re.compile(f"{_WORD}+")
_CJK_ONLY = re.compile(f"[{_CJK}]+")
# English possessives and contractions: customer's → customer, don't → dont.
_APOSTROPHE_S = re.compile(r"(?<=\w)['\u2019]s\b")
_APOSTROPHE = re.compile(r"(?<=\w)['\u2019](?=\w)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Sudachi parts of speech that carry no meaning of their own in a search (particles, auxiliary
# verbs, punctuation, affixes); light verbs like する are "非自立可能" and go too. The bigrams
# still hold them, so a query made only of them (「です」) is not lost.
_FUNCTION_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "記号", "接頭辞", "接尾辞"})


def normalize(text: str) -> str:
    """NFKC (full/half width unify), casefold, control characters out, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    return " ".join(_CONTROL.sub(" ", text.casefold()).split())


# --------------------------------------------------------------------------- Sudachi, per thread

_local = threading.local()
_dictionary_lock = threading.Lock()
_dictionary = None
_content_pos_ids: frozenset[int] = frozenset()


def _tokenizer():
    """This thread's Sudachi tokenizer (a Tokenizer must not be shared between threads).

    The dictionary behind it is loaded once per process and shared: loading it is the
    expensive part (~0.2 s and tens of MB), a tokenizer on top of it is nearly free.
    """
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from sudachipy import SplitMode

        tokenizer = _local.tokenizer = _sudachi_dictionary().tokenizer(mode=SplitMode.A)
    return tokenizer


def _sudachi_dictionary():
    global _dictionary, _content_pos_ids
    with _dictionary_lock:
        if _dictionary is None:
            from sudachipy import Dictionary

            dictionary = Dictionary(dict="core")
            # Sudachi numbers parts of speech; a set of ids is cheaper than a tuple per word.
            pos_ids, pos_id = set(), 0
            while (pos := dictionary.pos_of(pos_id)) is not None:
                if pos[0] not in _FUNCTION_POS and pos[1] != "非自立可能":
                    pos_ids.add(pos_id)
                pos_id += 1
            _content_pos_ids = frozenset(pos_ids)
            _dictionary = dictionary
    return _dictionary


def _content_words(runs: list[str]) -> list[str]:
    """Normalized forms of the content words in Japanese runs (Sudachi's shortest units).

    The runs go to Sudachi joined by newlines, a few thousand characters at a time: one call per
    run would cost more than the analysis itself. No word spans a newline.
    """
    tokenizer = _tokenizer()
    words: list[str] = []
    for chunk in _chunks(runs):
        for morpheme in tokenizer.tokenize(chunk):
            if morpheme.part_of_speech_id() in _content_pos_ids:
                form = _form(morpheme.normalized_form())
                if form:
                    words.append(form)
    return words


def _chunks(runs: list[str]) -> Iterator[str]:
    chunk: list[str] = []
    size = 0
    for run in runs:
        for start in range(0, len(run), _SUDACHI_CHUNK):
            piece = run[start : start + _SUDACHI_CHUNK]
            if size + len(piece) > _SUDACHI_CHUNK and chunk:
                yield "\n".join(chunk)
                chunk, size = [], 0
            chunk.append(piece)
            size += len(piece) + 1
    if chunk:
        yield "\n".join(chunk)


@functools.lru_cache(maxsize=65536)
def _form(normalized_form: str) -> str:
    """Sudachi's spelling-unified form (引越し → 引っ越し) in our alphabet, or '' if not Japanese."""
    form = normalize(normalized_form)
    return form if _CJK_ONLY.fullmatch(form) else ""


def _bigrams(run: str) -> list[str]:
    """Overlapping character pairs, and the last character alone.

    The lone last character makes every character the start of some lexeme, so a one-character
    query (a prefix match) finds it even at the end of a run (未着届).
    """
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


# --------------------------------------------------------------------------- latin words


def _stemmer():
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        # Not thread-safe either: it keeps the word being stemmed on the instance.
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def _word_lexeme(word: str) -> str:
    if len(word) > MAX_LEXEME_CHARS:
        return word[:MAX_LEXEME_CHARS]  # no English word; and the cache keeps short keys only
    return _stemmed(word)


@functools.lru_cache(maxsize=65536)
def _stemmed(word: str) -> str:
    # Cached: the pure-Python stemmer takes ~40 µs a word, and words repeat a lot.
    if word.isascii() and word.isalpha():
        return _stemmer().stemWord(word)
    return word


def _joined(text: str) -> str:
    return "".join(_PARTS.findall(text))[:MAX_LEXEME_CHARS]


# --------------------------------------------------------------------------- documents


def _segments(normalized: str) -> Iterator[tuple[str, str]]:
    text = _APOSTROPHE.sub("", _APOSTROPHE_S.sub("", normalized))
    for match in _SEGMENT.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        yield kind, match.group()


def _document_lexemes(normalized: str) -> list[str]:
    lexemes: list[str] = []
    runs: list[str] = []
    for kind, segment in _segments(normalized):
        if kind == "cjk":
            runs.append(segment)
            lexemes.extend(_bigrams(segment))
        elif kind == "email":
            local, _at, domain = segment.partition("@")
            lexemes.append(_joined(segment))
            lexemes.extend(_compound_lexemes(local))
            lexemes.extend(_compound_lexemes(domain))
        else:
            lexemes.extend(_compound_lexemes(segment))
    if runs:
        lexemes.extend(_content_words(runs))
    return lexemes


def _compound_lexemes(segment: str) -> Iterator[str]:
    parts = _PARTS.findall(segment)
    if len(parts) > 1:
        yield _joined(segment)
    for part in parts:
        yield _word_lexeme(part)


def index_terms(text: str) -> str:
    """The space-separated lexemes of a document, for `to_tsvector('simple', …)`."""
    return " ".join(_document_lexemes(normalize(text)))


# Texts up to this size are remembered (a few hundred of them: ~16 MB at worst).
_CACHED_TEXT_CHARS = 8000


@functools.lru_cache(maxsize=256)
def _index_terms_remembered(text: str) -> str:
    return index_terms(text)


def index_terms_cached(text: str) -> str:
    """index_terms for text that is indexed again and again (a conversation's earlier
    messages each time a new one arrives): the analysis is the expensive part of a write."""
    if len(text) > _CACHED_TEXT_CHARS:
        return index_terms(text)
    return _index_terms_remembered(text)


def weighted_vector(terms: Mapping[str, str]) -> SearchVectorCombinable:
    """A tsvector expression from lexemes by weight ({"A": index_terms(title), …}).

    The lexemes go through to_tsvector('simple'), which keeps each as it is (they are letters
    and digits only) and gives them positions, so that weights and ts_rank work.
    """
    vectors = [
        SearchVector(Value(lexemes, output_field=TextField()), config=SEARCH_CONFIG, weight=weight)
        for weight, lexemes in sorted(terms.items())
    ]
    combined = vectors[0]
    for vector in vectors[1:]:
        combined = combined + vector
    return combined


# --------------------------------------------------------------------------- queries


def _quoted(lexeme: str, prefix: bool = False) -> str:
    # Lexemes are letters and digits already; quoting anyway keeps the tsquery well formed
    # whatever a future change lets through.
    escaped = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'" + (":*" if prefix else "")


def _all_of(lexemes: list[str]) -> str:
    unique = list(dict.fromkeys(lexemes))
    if len(unique) == 1:
        return _quoted(unique[0])
    return "(" + " & ".join(_quoted(lexeme) for lexeme in unique) + ")"


def _cjk_query(run: str) -> str:
    """Sudachi's content words all match, or else every bigram of the run does."""
    bigrams = _quoted(run, prefix=True) if len(run) == 1 else _all_of(_bigrams(run)[:-1])
    words = _content_words([run])
    if not words or _all_of(words) == bigrams:
        return bigrams
    return f"({_all_of(words)} | {bigrams})"


def _segment_query(kind: str, segment: str) -> str:
    if kind == "cjk":
        return _cjk_query(segment)
    parts = _PARTS.findall(segment)
    if len(parts) > 1:
        # An id or address typed whole matches it whole: "E-403" and "e403" both find "E-403".
        return _quoted(_joined(segment))
    return _quoted(_word_lexeme(parts[0]))


def query_expression(text: str) -> str:
    """The raw tsquery for a person's query ('' when nothing in it is searchable).

    Every word must match (AND); within a Japanese word, its content words or its bigrams.
    """
    words = normalize(text)[:MAX_QUERY_CHARS].split()[:MAX_QUERY_WORDS]
    clauses: list[str] = []
    for word in words:
        clauses.extend(_segment_query(kind, segment) for kind, segment in _segments(word))
    return " & ".join(dict.fromkeys(clauses))


def query_terms(text: str) -> SearchQuery | None:
    """A SearchQuery for `text`, or None when it holds nothing to search for.

    Built only from lexemes this module made and quoted, never from the user's raw text.
    """
    expression = query_expression(text)
    if not expression:
        return None
    return SearchQuery(expression, search_type="raw", config=SEARCH_CONFIG)


def rank(query: SearchQuery, field: str = "search_vector") -> SearchRank:
    """ts_rank with our weights, normalized by document length (1 + log of it)."""
    return SearchRank(F(field), query, weights=RANK_WEIGHTS, normalization=1)
