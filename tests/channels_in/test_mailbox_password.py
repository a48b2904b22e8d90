"""Mailbox passwords at rest: Fernet with HKDF-derived keys (helpdesk/crypto.py)."""

from __future__ import annotations

import pytest

from channels_in.models import MailAccount
from helpdesk import crypto


def test_a_password_is_stored_encrypted_and_read_back():
    account = MailAccount()
    account.set_password("窓口-secret")

    assert "窓口" not in account.password_encrypted and "secret" not in account.password_encrypted
    assert account.get_password() == "窓口-secret"
    # A fresh IV each time: equal passwords do not give equal tokens.
    assert crypto.encrypt_text("same") != crypto.encrypt_text("same")


def test_a_field_key_takes_over_and_old_values_still_open(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    before = crypto.encrypt_text("stored under SECRET_KEY")

    settings.FIELD_ENCRYPTION_KEY = "new-field-key-0123456789abcdef"
    after = crypto.encrypt_text("stored under the field key")

    assert crypto.decrypt_text(before) == "stored under SECRET_KEY"
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    assert crypto.decrypt_text(after) == "stored under the field key"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(before)


def test_keys_rotate_first_encrypts_all_decrypt(settings):
    settings.FIELD_ENCRYPTION_KEY = "old-key-aaaaaaaaaaaaaaaaaaaaaaaa"
    old = crypto.encrypt_text("old")

    settings.FIELD_ENCRYPTION_KEY = (
        "new-key-bbbbbbbbbbbbbbbbbbbbbbbb, old-key-aaaaaaaaaaaaaaaaaaaaaaaa"
    )
    new = crypto.encrypt_text("new")

    assert (crypto.decrypt_text(old), crypto.decrypt_text(new)) == ("old", "new")
    settings.FIELD_ENCRYPTION_KEY = "new-key-bbbbbbbbbbbbbbbbbbbbbbbb"
    assert crypto.decrypt_text(new) == "new"


def test_a_tampered_value_is_refused():
    token = crypto.encrypt_text("secret")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(token[:-4] + "AAAA")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text("not a token")
