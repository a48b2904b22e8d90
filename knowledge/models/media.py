"""Uploaded article images and the help center's look (theme), edited by admins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def article_image_path(instance: ArticleImage, filename: str) -> str:
    return f"knowledge/images/{instance.token[:2]}/{instance.token}.{instance.extension}"


class ArticleImage(models.Model):
    """An image uploaded for article bodies, served by the help center at /help/images/…"""

    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=article_image_path, max_length=200)
    content_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=5)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("article image")
        verbose_name_plural = _("article images")

    def __str__(self) -> str:
        return self.original_name or self.token

    @property
    def url(self) -> str:
        return f"/help/images/{self.token}.{self.extension}"


class HelpCenterTheme(models.Model):
    """How the public help center looks: one row, edited by admins (knowledge.theme)."""

    brand_name = models.CharField(_("brand name"), max_length=60, blank=True)
    accent_color = models.CharField(_("accent colour"), max_length=7, blank=True)
    header_color = models.CharField(_("header colour"), max_length=7, blank=True)
    logo = models.ForeignKey(
        ArticleImage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logo"),
    )
    # One link a line, "Label | https://…" (kept as the admin typed it; parsed by knowledge.theme).
    header_links = models.TextField(_("header links"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("help center theme")
        verbose_name_plural = _("help center theme")

    def __str__(self) -> str:
        return self.brand_name or "theme"
