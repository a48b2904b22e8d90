"""Customer events that other apps follow without `customers` importing them.

`customers` imports none of the other apps, yet tickets index their customer's name, email and
handles for search: when those change, `customer_changed` tells whoever keeps such copies.

Sent inside the write's transaction, after the customer row is saved, with:
- `customer`: the saved Customer (for a merge, the one that remains)
- `reason`: "merged", "renamed", "updated" or "erased"
Receivers may write rows in the same transaction; a receiver that raises rolls the write back.
"""

from __future__ import annotations

from django.dispatch import Signal

customer_changed = Signal()
