"""Every real mail in the shared corpus parses, or is refused as MalformedMail, nothing else;
Zammad's own expectations for its mails are the golden values for sender, subject and files.

The corpus is read in place (`../shared/corpus`); nothing from it is copied into the repo.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml

from channels_in.mail.parse import MalformedMail, parse_mail
from tests.conftest import CORPUS

MAIL_GLOBS = (
    "zammad-mail/*.box",
    "ruby-mail-emails/**/*",
    "flanker/**/*",
    "django-helpdesk-mail/*.eml",
    "talon/**/*",
    "email-reply-parser/**/*",
)


def corpus_files() -> list[str]:
    found = {
        path.relative_to(CORPUS).as_posix()
        for pattern in MAIL_GLOBS
        for path in CORPUS.glob(pattern)
        if path.is_file()
    }
    return sorted(found)


class RubyTaggedLoader(yaml.SafeLoader):
    """Zammad's expectations are Ruby objects (`!ruby/hash:…`): read them as plain data."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


RubyTaggedLoader.add_multi_constructor("!", _untagged)


def zammad_pairs() -> list[str]:
    return sorted(path.stem for path in (CORPUS / "zammad-mail" / "expected").glob("*.yml"))


def zammad_mail(corpus: Path, name: str) -> Path:
    plain = corpus / "zammad-mail" / f"{name}.box"
    # mail116.box is a UTF-8 rendition from a search index; the ISO-2022-JP reconstruction
    # is the mail as sent (see corpus/SOURCES.md).
    return (
        plain
        if name != "mail116"
        else corpus / "zammad-mail" / "mail116-iso2022jp-reconstructed.box"
    )


# Where we knowingly differ from Zammad. Each entry pins both values, so a change on either
# side shows up here instead of being skipped.
ZAMMAD_DIFFERENCES: dict[str, dict[str, object]] = {
    "mail018": {
        "subject": (
            "Benachrichtung zum +ANw-bermittlungsstatus (Fehlgeschlagen)",
            "Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)",
        ),
        "reason": "the subject is a UTF-7 encoded word; Zammad leaves it encoded",
    },
    "mail035": {
        "from_email": (
            '"finances8@firstfinanceloanfirm.example.com"',
            "finances8@firstfinanceloanfirm.example.com",
        ),
        "reason": "From is a quoted address without <>; we drop the quotes to get a usable one",
    },
    "mail042": {
        "attachments": (
            ["file", "encrypted.asc"],
            ["PGP_MIME Versions Identification.pgp", "encrypted.asc"],
        ),
        "reason": "unnamed part: Zammad calls it 'file', we use its Content-Description",
    },
    "mail046": {
        "from_display_name": ("ÎäŔźłÉ", "武兰成"),
        "reason": "raw 8-bit GB2312 name; the mail declares gb2312, which we try before cp1252",
    },
    "mail053": {
        "malformed": "From is 'MAILER-DAEMON' without a domain and Return-Path is the null "
        "sender <>: there is no address to attribute or answer the bounce to",
    },
    "mail062": {
        "attachments": (
            [
                "image001.jpg",
                "image000.jpg",
                "document.html",
                "document1.html",
                "Video1.MOV",
                "Video2.MOV",
                "Video3.MOV",
                "video.mov",
                "video1.mov",
            ],
            [
                "image001.jpg",
                "image000.jpg",
                "document.html",
                "document.html",
                "Video1.MOV",
                "Video2.MOV",
                "Video3.MOV",
                "video.mov",
                "video.mov",
            ],
        ),
        "reason": "Zammad renames repeated file names (document1.html); we keep them as sent",
    },
    "mail064": {
        "attachments": (
            ["Capture d’eìcran 2017-12-27 aÌ 12.22.38.jpg"],
            ["Capture d’écran 2017-12-27 à 12.22.38.jpg"],
        ),
        "reason": "windows-1258 writes é as e + combining accent; we decode it and NFC-normalize",
    },
    "mail071": {
        "from_email": ("power quadrant system@example.com", "system@example.com"),
        "reason": "spam with spaces in the address; we keep the only part that is an address",
    },
    "mail076": {
        "from_email": (
            '"Millions Lottery Spain transfer"@example.com>',
            '"Millions Lottery Spain transfer"@example.com',
        ),
        "from_display_name": ("Millions Lottery Spain transfer@example.com>", ""),
        "reason": "broken From (a stray '>'); Zammad's name is a fragment of the address",
    },
    "mail087": {
        "from_email": ("Test test@example.com", "test@example.com"),
        "from_display_name": ("Test test@example.com", ""),
        "attachments": (["fax_1234.pdf", "file"], ["fax_1234.pdf"]),
        "reason": "From without <> around the address; a part with no Content-Type is text/plain "
        "by RFC 2045 and is the body here, not an attachment",
    },
    "mail100": {
        "attachments": (
            ["ITN21A07-000089.jpg", "32497.1617621278.2", "image.jpg"],
            ["ITN21A07-000089.jpg", "attachment.bin", "image.jpg"],
        ),
        "reason": "unnamed application/others part: Zammad names it from the Content-ID digits",
    },
    "mail102": {
        "attachments": (
            [
                "Screen Shot 2018-12-17 at 09.00.38.png",
                "documentation-todo.pdf",
                "Screen Shot 2018-12-17 at 091.00.38.png",
            ],
            [
                "Screen Shot 2018-12-17 at 09.00.38.png",
                "documentation-todo.pdf",
                "Screen Shot 2018-12-17 at 09.00.38.png",
            ],
        ),
        "reason": "Zammad renames the repeated file name; we keep both as sent",
    },
}


def test_the_corpus_is_all_there(corpus):
    files = corpus_files()
    assert len(files) > 350, files
    assert len(zammad_pairs()) == 107


@pytest.mark.parametrize("relative", corpus_files())
def test_every_corpus_file_parses_or_is_malformed(corpus, relative):
    try:
        parsed = parse_mail((corpus / relative).read_bytes())
    except MalformedMail as exc:
        assert str(exc)  # a reason an operator can read next to the kept raw bytes
        return
    assert parsed.handle and "@" in parsed.handle
    assert parsed.channel == "email" and parsed.identity_kind == "email"
    assert_storable(parsed)


def assert_storable(parsed) -> None:
    """What PostgreSQL will accept: valid UTF-8 (no lone surrogates), no NUL characters."""
    texts = [
        parsed.handle,
        parsed.display_name,
        parsed.subject,
        parsed.body_text,
        parsed.body_html,
        parsed.external_id,
        *parsed.replies_to,
        *(a.filename for a in parsed.attachments),
        *(a.content_type for a in parsed.attachments),
    ]
    for text in texts:
        text.encode("utf-8")
        assert "\x00" not in text
    assert all(a.filename and "/" not in a.filename for a in parsed.attachments)
    assert all(isinstance(a.content, bytes) for a in parsed.attachments)
    assert not parsed.external_id or re.fullmatch(r"<[^<>\s]+>", parsed.external_id)


FUZZ_SOURCES = (
    "zammad-mail/mail015.box",
    "zammad-mail/mail062.box",
    "zammad-mail/mail091.box",
    "zammad-mail/mail116-iso2022jp-reconstructed.box",
    "ruby-mail-emails/multi_charset/japanese_attachment.eml",
    "flanker/messages/torture.eml",
)


@pytest.mark.parametrize("relative", FUZZ_SOURCES)
def test_damaged_copies_of_real_mail_parse_or_are_malformed(corpus, relative):
    """Truncated and bit-flipped mail (as a broken relay or disk delivers it)."""
    original = (corpus / relative).read_bytes()
    rng = random.Random(relative)
    for _ in range(40):
        damaged = bytearray(original[: rng.randrange(1, len(original) + 1)])
        for _flip in range(rng.randrange(0, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            parsed = parse_mail(bytes(damaged))
        except MalformedMail:
            continue
        assert_storable(parsed)


def _collapse(text: str | None) -> str:
    """Folding whitespace only: ideographic spaces (U+3000) in CJK subjects are content."""
    return re.sub(r"[ \t\r\n]+", " ", text or "").strip()


def _same_name(ours: str, theirs: str) -> bool:
    # Zammad writes U+FFFD where it could not decode; we decode those bytes.
    pattern = re.escape(theirs).replace("\ufffd", ".")
    return re.fullmatch(pattern, ours) is not None


def _ours(parsed) -> dict[str, object]:
    return {
        "from_email": parsed.handle,
        "from_display_name": parsed.display_name,
        "subject": parsed.subject,
        "attachments": [a.filename for a in parsed.attachments],
    }


def _golden(expected: dict) -> dict[str, object]:
    return {
        "from_email": expected.get("from_email") or "",
        "from_display_name": _collapse(expected.get("from_display_name")),
        "subject": _collapse(expected.get("subject")),
        # message.html is how Zammad stores the HTML body, not an attachment of the mail.
        "attachments": [
            a["filename"]
            for a in expected.get("attachments") or []
            if a["filename"] != "message.html"
        ],
    }


@pytest.mark.parametrize("name", zammad_pairs())
def test_zammad_golden_values(corpus, name):
    expected = yaml.load(  # noqa: S506 - a SafeLoader subclass
        (corpus / "zammad-mail" / "expected" / f"{name}.yml").read_bytes(), Loader=RubyTaggedLoader
    )
    differences = ZAMMAD_DIFFERENCES.get(name, {})
    raw = zammad_mail(corpus, name).read_bytes()
    if "malformed" in differences:
        with pytest.raises(MalformedMail):
            parse_mail(raw)
        return
    ours, golden = _ours(parse_mail(raw)), _golden(expected)
    for field, theirs in golden.items():
        if field in differences:
            zammad_value, our_value = differences[field]
            assert theirs == zammad_value, f"{name}: Zammad's {field} changed"
            assert ours[field] == our_value, f"{name}: our {field} changed"
        elif field == "from_email":
            assert str(ours[field]).lower() == str(theirs).lower()
        elif field == "attachments":
            assert len(ours[field]) == len(theirs) and all(
                _same_name(a, b) for a, b in zip(ours[field], theirs, strict=True)
            ), (ours[field], theirs)
        else:
            assert _collapse(str(ours[field])) == theirs, field
