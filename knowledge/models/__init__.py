"""The help center's models, by responsibility (content, reader activity, images and theme).

Everything is importable from `knowledge.models` as before.
"""

from .activity import (
    ArticleFeedback,
    BotQuestion,
    BotSource,
    ContactAttempt,
    SearchQueryLog,
    SearchSource,
)
from .content import (
    FAQ_LABEL,
    Article,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Audience,
    Category,
    Language,
    Section,
    TranslatedNames,
)
from .media import ArticleImage, HelpCenterTheme, article_image_path

__all__ = [
    "FAQ_LABEL",
    "Article",
    "ArticleFeedback",
    "ArticleImage",
    "ArticleStatus",
    "ArticleTranslation",
    "ArticleVersion",
    "Audience",
    "BotQuestion",
    "BotSource",
    "Category",
    "ContactAttempt",
    "HelpCenterTheme",
    "Language",
    "SearchQueryLog",
    "SearchSource",
    "Section",
    "TranslatedNames",
    "article_image_path",
]
