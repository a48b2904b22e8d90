"""The one error the chat's rules raise: the client is told its code and message."""

from __future__ import annotations


class ChatError(Exception):
    """A frame or request the visitor's client should be told about (an `error` frame)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
