"""Leads (线索), the public web form, assignment rules and the shared customer pool (公海)."""
