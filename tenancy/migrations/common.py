"""Shared by both Alembic environments: how a migration context is configured.

``dealercrm migrate`` and the ``alembic`` command line both end up here, so a migration runs the
same way whichever started it.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import Connection, MetaData

from tenancy.binding import TENANT_SCHEMA_PLACEHOLDER


def load_metadata(spec: str | None) -> MetaData | None:
    """``module:attribute`` → the object; used only by autogenerate."""
    if not spec:
        return None
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def tenant_connection(connection: Connection, schema: str) -> Connection:
    """Render the placeholder schema ``tenant`` as the real one in every operation."""
    return connection.execution_options(schema_translate_map={TENANT_SCHEMA_PLACEHOLDER: schema})


def configure_kwargs(schema: str | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"compare_type": True, "transaction_per_migration": False}
    if schema:
        kwargs["version_table_schema"] = schema
        kwargs["include_schemas"] = False
    return kwargs


def tenant_schema() -> str:
    """The real schema the running tenant migration targets.

    Table-level operations (``create_table``, ``create_index``) may name the placeholder
    ``tenant``: the connection's ``schema_translate_map`` renders it. Column-level operations
    (``add_column``, ``alter_column``, ``drop_column``) and raw SQL are compiled by Alembic without
    that map, so they must use this real name.
    """
    from alembic import op

    schema = op.get_context().version_table_schema
    if not schema:
        raise RuntimeError("tenant_schema() is only available inside a tenant migration")
    return schema
