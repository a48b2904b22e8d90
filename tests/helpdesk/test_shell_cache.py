"""The agent page shell renders its fixed parts once ({% shellcache %}): what each viewer sees
must still be their own — their name, their role's links, their language, a valid sign-out."""

import re

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page(user, language="en") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get("/agent/")
    assert response.status_code == 200
    return response.content.decode()


def menu(html: str) -> str:
    """The account menu (name, email, sign-out) of the page."""
    return re.search(r'<details class="menu".*?</details>', html, re.S).group(0)


def test_each_viewer_sees_their_own_menu_and_their_roles_links():
    manager = UserFactory(role="manager", name="Mana Manager", email="mana@example.com")
    agent = UserFactory(role="agent", name="Aiko Agent", email="aiko@example.com")

    first, second = page(manager), page(agent)

    assert "Mana Manager" in menu(first) and "mana@example.com" in menu(first)
    assert "Aiko Agent" in menu(second) and "aiko@example.com" in menu(second)
    assert "Mana Manager" not in menu(second) and "mana@example.com" not in menu(second)
    # Managers get the settings links; an agent does not, even right after a manager's page.
    assert "/automations/" in first and "/automations/" not in second
    assert "Mana Manager" in menu(page(manager))


def test_the_cached_parts_follow_the_viewers_language():
    agent = UserFactory(role="agent")

    english, japanese = page(agent, "en"), page(agent, "ja")

    assert "Keyboard shortcuts" in english and "Sign out" in english
    with translation.override("ja"):
        assert translation.gettext("Keyboard shortcuts") in japanese
        assert translation.gettext("Sign out") in japanese
    assert "Keyboard shortcuts" not in japanese


def test_every_page_carries_its_own_csrf_token_and_sign_out_still_works():
    agent = UserFactory(role="agent")
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)

    tokens = set()
    for _ in range(2):
        html = client.get("/agent/").content.decode()
        logout_form = re.search(r'action="/accounts/logout/">(.*?)</form>', html, re.S).group(1)
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', logout_form).group(1))
    assert len(tokens) == 2  # a fresh mask per response, not one remembered with the menu

    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": tokens.pop()})
    assert response.status_code == 302
    assert client.get("/agent/").status_code == 302  # signed out: back to the login page


def test_the_tag_keys_on_the_values_it_names_and_refuses_a_csrf_token():
    engine = Engine(libraries={"shell_tags": "helpdesk.templatetags.shell_tags"})
    template = engine.from_string(
        "{% load shell_tags %}{% shellcache role %}{{ role }}:{{ name }}{% endshellcache %}"
    )
    assert isinstance(template, Template)

    assert template.render(Context({"role": "agent", "name": "A"})) == "agent:A"
    # `name` is not named in the tag: the first rendering for this role is reused …
    assert template.render(Context({"role": "agent", "name": "B"})) == "agent:A"
    # … while a value the tag names gets its own rendering.
    assert template.render(Context({"role": "manager", "name": "C"})) == "manager:C"

    with pytest.raises(TemplateSyntaxError):
        engine.from_string(
            "{% load shell_tags %}{% shellcache %}{% csrf_token %}{% endshellcache %}"
        )
