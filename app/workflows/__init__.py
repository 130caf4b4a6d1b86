"""Workflows as data: per-tenant, versioned state machines that workflow-driven entities run on."""
