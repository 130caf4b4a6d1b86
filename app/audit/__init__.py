"""Append-only audit records of every mutation."""
