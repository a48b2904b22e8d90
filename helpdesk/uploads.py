"""File uploads shared by every form: several files per field, each within the size limit."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tickets.inbound import IncomingAttachment


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.MAX_ATTACHMENTS_PER_MESSAGE:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.")
                % {"count": settings.MAX_ATTACHMENTS_PER_MESSAGE}
            )
        for upload in files:
            if upload.size > settings.MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
                    % {
                        "name": upload.name,
                        "size": filesizeformat(upload.size),
                        "limit": filesizeformat(settings.MAX_ATTACHMENT_BYTES),
                    }
                )
        return [super(AttachmentsField, self).clean(f, initial) for f in files]


def as_incoming(files) -> list[IncomingAttachment]:
    return [
        IncomingAttachment(
            filename=f.name,
            content_type=f.content_type or "application/octet-stream",
            content=f.read(),
        )
        for f in files
    ]
