"""Domain events, written to an outbox in the same transaction as the change that causes them."""
