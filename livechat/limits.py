"""The chat's size and rate limits (livechat/PROTOCOL.md lists them for integrators)."""

from __future__ import annotations

import re

MAX_FRAME_BYTES = 16 * 1024
MAX_TEXT_CHARS = 5000
MAX_UPLOADS_PER_MESSAGE = 5
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Per visitor: messages and all frames per minute; per IP: new sessions per minute.
MESSAGES_PER_MINUTE = 30
FRAMES_PER_MINUTE = 240
SESSIONS_PER_IP_PER_MINUTE = 60
