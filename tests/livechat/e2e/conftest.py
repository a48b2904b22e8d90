"""The browser fixtures of tests/e2e (a real server, worker and Chromium) for the widget."""

from tests.e2e.conftest import browser, live_stack  # noqa: F401
