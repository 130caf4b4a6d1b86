"""pinyin sort keys, saved list views, batch jobs with undo, tag management

- ``customers.name_pinyin``: the name's pinyin sort key (安 before 张), byte-ordered, with its
  keyset index; existing customers get their key here, a thousand at a time.
- ``saved_views``: a person's named filter + sort + columns of a list, private or shared with a
  team or a role.
- ``batch_jobs`` and ``batch_job_items``: one audited job per batch action, each record's prior
  values kept for the undo.
- ``customers:manage`` (tags, shared views) for the owner, admin and manager templates, as
  app/accounts/permissions.py grants it to new tenants.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pypinyin import lazy_pinyin
from sqlalchemy.dialects import postgresql

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import S, grant_permissions, quoted_schema, revoke_permissions

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS: dict[str, tuple[str, ...]] = {"customers:manage": ("owner", "admin", "manager")}

# -- the sort key as app/kit/pinyin_sort.py computed it at this revision (frozen) -------------------
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_TOKENS = re.compile(rf"[{_CJK}]+|[^\s{_CJK}]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_SURNAMES = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "阚": "kan",
    "召": "shao",
}


def _sort_key(value: str | None) -> str:
    import unicodedata

    if not value:
        return ""
    text = unicodedata.normalize("NFKC", value).lower().strip()
    tokens: list[str] = []
    for run in _TOKENS.findall(text):
        if _CJK_RUN.fullmatch(run):
            syllables = lazy_pinyin(run, errors="ignore")
            if not tokens and (surname := _SURNAMES.get(run[0])) and syllables:
                syllables[0] = surname
            tokens.extend(syllables)
        else:
            tokens.append(run)
    return (" ".join(tokens) + " !" + text)[:1000]


def _fill_keys() -> None:
    """Every existing customer's key, a thousand rows per statement (keyset over id)."""
    bind = op.get_bind()
    table = f"{quoted_schema()}.customers"
    last = None
    while True:
        rows = bind.execute(
            sa.text(
                f"SELECT id, name FROM {table} "
                + ("WHERE id > :last " if last is not None else "")
                + "ORDER BY id LIMIT 1000"
            ).bindparams(**({"last": last} if last is not None else {}))
        ).all()
        if not rows:
            return
        bind.execute(
            sa.text(
                f"UPDATE {table} AS c SET name_pinyin = v.key "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS text[])) AS v(id, key) WHERE c.id = v.id"
            ).bindparams(ids=[r.id for r in rows], keys=[_sort_key(r.name) for r in rows])
        )
        last = rows[-1].id


def upgrade() -> None:
    op.add_column(
        "customers",
        sa.Column("name_pinyin", sa.Text(collation="C"), server_default="", nullable=False),
        schema=tenant_schema(),  # column-level operations name the real schema (see env.py)
    )
    _fill_keys()
    op.create_index("ix_customers_name_pinyin_id", "customers", ["name_pinyin", "id"], schema=S)

    op.create_table(
        "saved_views",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("role_key", sa.String(length=40), nullable=True),
        sa.Column("filters", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("sort", sa.String(length=40), nullable=True),
        sa.Column("descending", sa.Boolean(), nullable=True),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "visibility IN ('private', 'team', 'role')", name=op.f("ck_saved_views_visibility_allowed")
        ),
        sa.ForeignKeyConstraint(["owner_id"], [f"{S}.users.id"], name=op.f("fk_saved_views_owner_id_users")),
        sa.ForeignKeyConstraint(["team_id"], [f"{S}.teams.id"], name=op.f("fk_saved_views_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        schema=S,
    )
    op.create_index("ix_saved_views_entity_owner", "saved_views", ["entity", "owner_id"], schema=S)

    op.create_table(
        "batch_jobs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refused", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("undo_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("undo_kept", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'undoing', 'undone')",
            name=op.f("ck_batch_jobs_status_allowed"),
        ),
        sa.ForeignKeyConstraint(["actor_id"], [f"{S}.users.id"], name=op.f("fk_batch_jobs_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_jobs")),
        schema=S,
    )
    op.create_index("ix_batch_jobs_actor_created", "batch_jobs", ["actor_id", "created_at"], schema=S)
    op.create_table(
        "batch_job_items",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"],
            [f"{S}.batch_jobs.id"],
            name=op.f("fk_batch_job_items_job_id_batch_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "position", name=op.f("pk_batch_job_items")),
        schema=S,
    )

    grant_permissions(GRANTS)


def downgrade() -> None:
    revoke_permissions(GRANTS)
    op.drop_table("batch_job_items", schema=S)
    op.drop_table("batch_jobs", schema=S)
    op.drop_table("saved_views", schema=S)
    op.drop_index("ix_customers_name_pinyin_id", table_name="customers", schema=S)
    op.drop_column("customers", "name_pinyin", schema=tenant_schema())
