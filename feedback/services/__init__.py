"""Every write of the feedback app, one module per concern (surveys, follow-ups, items)."""
