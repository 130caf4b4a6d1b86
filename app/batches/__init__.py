"""Batch actions on many records as one audited job, with progress and an undo."""
