"""Mails for the mailbox tests, as a customer's mail client would write them (CRLF lines)."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage


def customer_mail(
    n: int,
    *,
    sender: str = "山田 太郎 <yamada@example.jp>",
    subject: str = "",
    body: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> bytes:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = sender
    mail["To"] = "support@madoguchi.localhost"
    mail["Subject"] = subject or f"問い合わせ {n}"
    mail["Message-ID"] = message_id(n)
    mail["Date"] = "Tue, 03 Jun 2025 10:00:00 +0900"
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = references or in_reply_to
    mail.set_content(body or f"注文番号 {n} について質問があります。")
    return mail.as_bytes()


def message_id(n: int) -> str:
    return f"<mail-{n}@example.jp>"
