"""Retries that do not duplicate writes: a client's key and the first answer, kept with the write."""
