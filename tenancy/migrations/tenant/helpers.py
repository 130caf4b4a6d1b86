"""Statements tenant migrations share, frozen like ``frozen.py``: what a revision runs never changes.

Migrations import no application code (pyproject's import contract), so what several revisions do
the same way lives here, next to the frozen column sets. A helper's SQL is part of every revision
that calls it: never edit one (tests/tenancy replays the whole history); a revision that needs other
SQL writes its own statement or a new helper beside the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema

# The placeholder schema table-level operations name (env.py renders it as the real one).
S = "tenant"


def quoted_schema() -> str:
    """The running tenant's real schema as a quoted SQL identifier, for raw SQL."""
    return '"' + tenant_schema().replace('"', '""') + '"'


def grant_permissions(grants: Mapping[str, Sequence[str]]) -> None:
    """Add each permission to the roles made from the given template keys, where they lack it.

    ``grants`` maps a permission to template keys, written literally in the revision as
    app.accounts.permissions.DEFAULT_ROLES had them then: how new permissions reach existing
    tenants' roles with defined defaults (new tenants get the templates themselves).
    """
    roles = f"{quoted_schema()}.roles"
    for permission, keys in grants.items():
        op.execute(
            sa.text(
                f"UPDATE {roles} SET permissions = permissions || CAST(ARRAY[:p] AS varchar(60)[]) "
                "WHERE template = ANY(CAST(:keys AS varchar(40)[])) AND NOT (:p = ANY(permissions))"
            ).bindparams(p=permission, keys=list(keys))
        )


def revoke_permissions(permissions: Iterable[str]) -> None:
    """Take each permission from every role that has it (the downgrade of ``grant_permissions``)."""
    roles = f"{quoted_schema()}.roles"
    for permission in permissions:
        op.execute(
            sa.text(
                f"UPDATE {roles} SET permissions = array_remove(permissions, CAST(:p AS varchar(60)))"
            ).bindparams(p=permission)
        )


def drop_tables(*tables: str) -> None:
    """Drop the tenant's tables in the order given (dependents first)."""
    for table in tables:
        op.drop_table(table, schema=S)
