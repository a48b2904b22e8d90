"""A real, private Dovecot (IMAP + POP3) on 127.0.0.1 for tests, from its own config.

Importable without pytest:

    server = DovecotServer().start()      # free ports: server.imap_port, server.pop3_port
    box = server.add_mailbox()            # a new user with an empty maildir
    box.append(raw_bytes)                 # APPEND into INBOX (or folder=...)
    with box.imap() as imap: ...          # a logged-in imaplib client, for asserting
    server.stop()

Dovecot refuses to run its login processes as root and refuses mail users below
`first_valid_uid`, so the mail user is `nobody` (owning the maildir), logins run as
`dovenull`, and the chroots that need root-owned folders are switched off.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
MAIL_USER = "nobody"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
# Tests create and delete folders with non-ASCII names; keep Dovecot's own layout.
namespace inbox {{
  inbox = yes
  separator = /
}}
# One passwd file per user: a new file is read at once, while an appended line could wait for
# the next second's mtime before Dovecot re-reads a shared file.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
  default_fields = nodelay=yes
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
}}
# Wrong-password tests should not wait (with `nodelay` above and the anvil penalty off below).
auth_failure_delay = 0
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  chroot =
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  # No growing per-IP delay after failed logins: the wrong-password tests would wait for it.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    """The server process. Each test gets its own user (`add_mailbox`), so one server serves
    a whole session."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.root: Path | None = None
        self._process: subprocess.Popen | None = None
        self._users = 0

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> DovecotServer:
        if not os.path.exists(DOVECOT):
            raise RuntimeError(
                "The mailbox tests need Dovecot. Run: sudo apt-get install -y "
                "dovecot-imapd dovecot-pop3d (or `make test`, which installs it as root)."
            )
        # Not under pytest's tmp_path: that is 0700 root, and the mail user must reach homes.
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)
        (self.root / "users").mkdir()
        config = self.root / "dovecot.conf"
        config.write_text(
            _CONFIG.format(root=self.root, imap_port=self.imap_port, pop3_port=self.pop3_port)
        )
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
        )
        try:
            self._wait_until_listening(self.add_mailbox("probe"))
        except BaseException:
            self.stop()  # never leave a half-started server behind
            raise
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_listening(self, mailbox: Mailbox) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                with mailbox.imap():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not come up:\n{self.log()}")

    def log(self) -> str:
        if self.root is None:
            return ""
        parts = [
            (self.root / name).read_text(errors="replace")[-4000:]
            for name in ("dovecot.log", "stderr.log")
            if (self.root / name).exists()
        ]
        return "\n".join(parts)

    def add_mailbox(self, prefix: str = "user", password: str = "s3cret-pass") -> Mailbox:
        """A new, empty mailbox (a new user with its own maildir)."""
        assert self.root is not None, "start() the server first"
        self._users += 1
        user = f"{prefix}{self._users}"
        mail_user = pwd.getpwnam(MAIL_USER)
        home = self.root / "home" / user
        home.mkdir(parents=True)
        for path in (home.parent, home):
            os.chown(path, mail_user.pw_uid, mail_user.pw_gid)
        (self.root / "users" / user).write_text(
            f"{user}:{{PLAIN}}{password}:{mail_user.pw_uid}:{mail_user.pw_gid}::{home}\n",
            encoding="utf-8",
        )
        return Mailbox(self, user, password)


class Mailbox:
    """One user's mailbox on the server, with the moves a test makes on it."""

    def __init__(self, server: DovecotServer, user: str, password: str) -> None:
        self.server = server
        self.host = server.host
        self.imap_port = server.imap_port
        self.pop3_port = server.pop3_port
        self.user = user
        self.password = password

    @contextlib.contextmanager
    def imap(self, folder: str | None = None) -> Iterator[imaplib.IMAP4]:
        """A logged-in client (folder selected read-write when given); logs out after."""
        client = imaplib.IMAP4(self.host, self.imap_port, timeout=10)
        try:
            if self.password.isascii():
                client.login(self.user, self.password)
            else:
                secret = f"\0{self.user}\0{self.password}".encode()
                client.authenticate("PLAIN", lambda _challenge: secret)
            if folder is not None:
                status, data = client.select(quote(folder))
                assert status == "OK", data
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(self, raw: bytes, folder: str = "INBOX", arrived: datetime | None = None) -> None:
        """APPEND one mail; `arrived` sets its internal date (what SINCE/BEFORE search)."""
        with self.imap() as client:
            status, data = client.append(quote(folder), None, arrived, raw)
            assert status == "OK", data

    def append_many(self, mails: list[bytes], folder: str = "INBOX") -> None:
        with self.imap() as client:
            for raw in mails:
                status, data = client.append(quote(folder), None, None, raw)
                assert status == "OK", data

    def create_folder(self, folder: str) -> None:
        with self.imap() as client:
            status, data = client.create(quote(folder))
            assert status == "OK", data

    def delete_folder(self, folder: str) -> None:
        with self.imap() as client:
            status, data = client.delete(quote(folder))
            assert status == "OK", data

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        with self.imap() as client:
            status, data = client.select(quote(folder), readonly=True)
            assert status == "OK", data
            status, data = client.uid("SEARCH", criteria)
            assert status == "OK", data
            return [int(n) for n in data[0].split()]

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.imap() as client:
            status, data = client.status(quote(folder), "(UIDVALIDITY)")
            assert status == "OK", data
            return int(data[0].decode().rsplit("UIDVALIDITY", 1)[1].strip(" )"))

    def fetch(self, uid: int, folder: str = "INBOX") -> bytes:
        with self.imap() as client:
            client.select(quote(folder), readonly=True)
            status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            assert status == "OK", data
            return data[0][1]


def quote(folder: str) -> str:
    """An IMAP quoted string in modified UTF-7 (RFC 3501 §5.1.3), as the poller sends it."""
    from channels_in.mailbox.imap import quote_mailbox

    return quote_mailbox(folder)
