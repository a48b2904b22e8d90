"""The browser fixtures of tests/e2e (a real server, worker and Chromium) for the widget."""

import pytest

from tests.e2e.conftest import browser, live_stack  # noqa: F401
from tickets import presence

SOMEONE = 987_654  # a user id that only stands for "an agent is online"


@pytest.fixture(autouse=True)
def someone_online(request):
    """An agent counts as online (in Redis, where the server looks) unless the test asks for
    `nobody_online`: with nobody online the widget turns a chat into an email conversation."""
    key = presence._key("online")
    if "nobody_online" in request.fixturenames:
        presence._client().delete(key)
        yield
        return
    presence.touch_online(SOMEONE)
    yield
    presence._client().zrem(key, str(SOMEONE))


@pytest.fixture
def nobody_online():
    """Marker fixture: see `someone_online`."""
