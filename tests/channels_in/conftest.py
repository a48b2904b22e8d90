"""Fixtures for channel tests: a real SMTP peer Django's mail connection talks to."""

from __future__ import annotations

import pytest

from tests.smtp_server import LocalSMTPServer


@pytest.fixture
def smtp_server(settings):
    server = LocalSMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()
