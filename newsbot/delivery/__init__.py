"""The delivery engine: subscriptions, the matcher, the outbox and its dispatchers."""
