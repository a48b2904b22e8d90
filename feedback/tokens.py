"""Signed, expiring links for customers who answer without signing in.

A token names the row (survey or follow-up) and its nonce, signed with SECRET_KEY and a salt per
kind, with the signing time inside: a token from one kind never opens the other, an edited one
fails the signature, an old one fails `max_age`, and changing the row's nonce revokes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

SURVEY_SALT = "feedback.survey"
FOLLOWUP_SALT = "feedback.followup"
OPT_OUT_SALT = "feedback.opt-out"
NPS_SALT = "feedback.nps"
NPS_OPT_OUT_SALT = "feedback.nps-opt-out"
MAX_TOKEN_CHARS = 300  # anything longer is not ours; refuse it before decoding


class BadToken(Exception):
    """The link is not ours, was edited, or names nothing."""


class ExpiredToken(Exception):
    """A genuine link that is too old."""


@dataclass(frozen=True)
class TokenClaims:
    pk: int
    nonce: str


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def make_token(*, pk: int, nonce: str, salt: str) -> str:
    return signing.dumps([pk, nonce], salt=salt, compress=False)


def read_token(token: str, *, salt: str, max_age: timedelta) -> TokenClaims:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise BadToken
    try:
        value = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken from exc
    except signing.BadSignature as exc:
        raise BadToken from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise BadToken
    return TokenClaims(pk=value[0], nonce=value[1])
