"""Imports every entity declaration so the kit's registry is complete (like app.models for tables).

Shared modules that list entities (the audit page, search, roles, custom fields) import this once.
"""

from app.addresses import service as _addresses  # noqa: F401
from app.contacts import service as _contacts  # noqa: F401
from app.customers import entity as _customers  # noqa: F401
from app.kit.registry import entities, entity

__all__ = ["entities", "entity"]
