"""Language in the help-center path (`/help/ja/…`, `/help/en/…`)."""

from django.conf import settings
from django.utils.translation import get_language_from_request

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class LanguageConverter:
    regex = "|".join(LANGUAGE_CODES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def help_language(request) -> str:
    language = get_language_from_request(request)
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE
