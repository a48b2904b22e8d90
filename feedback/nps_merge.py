"""NPS rows follow a customer who is merged into another.

`customers.services.customer_merge` moves the rows of every visible relation and then deletes
the merged customer. NPS rows use a hidden relation on purpose: moving them blindly would break
"one recipient per customer per campaign" when both customers were asked in the same campaign,
and fail the whole merge. So they are moved here, when the merge is recorded (inside the
merge's transaction, before the merged customer is deleted): rows of campaigns the surviving customer was not in move over;
for a campaign both were in, the surviving row keeps the answer if only the other one had it;
and "no more surveys" carries over. Whatever is left goes with the merged customer.
"""

from __future__ import annotations

from typing import Any

from customers.models import CustomerMerge

from .models import NpsRecipient, SurveyOptOut

ANSWER_FIELDS = ("score", "comment", "answered_at", "changed_at", "changes")


def on_customer_merged(sender: Any, *, instance: CustomerMerge, created: bool, **kwargs: Any):
    if not created:
        return
    source_id, into_id = instance.merged_customer_id, instance.into_id
    taken = NpsRecipient.objects.filter(customer_id=into_id).values("campaign_id")
    theirs = NpsRecipient.objects.filter(customer_id=source_id)
    theirs.exclude(campaign_id__in=taken).update(customer_id=into_id)
    for answered in theirs.filter(score__isnull=False):
        NpsRecipient.objects.filter(
            campaign_id=answered.campaign_id, customer_id=into_id, score__isnull=True
        ).update(**{field: getattr(answered, field) for field in ANSWER_FIELDS})
    if SurveyOptOut.objects.filter(customer_id=source_id).exists():
        SurveyOptOut.objects.get_or_create(customer_id=into_id)
