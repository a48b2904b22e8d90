"""Mail as it is actually sent: RFC 822 parsing with Japanese charsets, and threaded replies.

`parse.parse_mail` turns raw bytes into an `IncomingMessage`; `compose.build_reply` turns an
agent's message into an `EmailMultiAlternatives`. Neither touches the database on its own.
"""
