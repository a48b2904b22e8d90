"""Email: RFC 822 bytes in, threaded replies out. (Being filled in.)"""

from __future__ import annotations


class EmailAdapter:
    kind = "email"

    def parse(self, event):
        raise NotImplementedError

    def deliver(self, delivery):
        raise NotImplementedError
