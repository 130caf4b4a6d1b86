"""More than one opportunity pipeline per tenant (helper H3: issue 11 item 3)

Workflows gain a key (which of an entity's workflows; ``default`` for an entity with one): the
version is unique per (entity, key) and one version per (entity, key) is current. Entities that
run several (opportunities) name them in ``workflow_pipelines``; every tenant's existing pipeline
becomes the pipeline ``default`` (销售管道), and every existing opportunity stays in it. Stage
history records the pipeline a move was made in.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tenancy.migrations.common import tenant_schema
from tenancy.migrations.tenant.helpers import quoted_schema

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = tenant_schema()
    q = quoted_schema()
    key = sa.Column("key", sa.String(40), server_default="default", nullable=False)
    op.add_column("workflows", key, schema=schema)
    op.drop_constraint("uq_workflows_entity_version", "workflows", schema=schema, type_="unique")
    op.create_unique_constraint(
        "uq_workflows_entity_key_version", "workflows", ["entity", "key", "version"], schema=schema
    )
    op.drop_index("ix_workflows_current", table_name="workflows", schema=schema)
    op.create_index(
        "ix_workflows_current",
        "workflows",
        ["entity", "key"],
        unique=True,
        schema=schema,
        postgresql_where=sa.text("is_current"),
    )
    op.add_column(
        "stage_history",
        sa.Column("workflow_key", sa.String(40), server_default="default", nullable=False),
        schema=schema,
    )
    op.create_table(
        "workflow_pipelines",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_pipelines"),
        sa.UniqueConstraint("entity", "key", name="uq_workflow_pipelines_entity_key"),
        schema=schema,
    )
    op.create_index(
        "uq_workflow_pipelines_name",
        "workflow_pipelines",
        ["entity", sa.text("lower(name)")],
        unique=True,
        schema=schema,
    )
    op.execute(
        f"INSERT INTO {q}.workflow_pipelines (entity, key, name, position) "
        "VALUES ('opportunity', 'default', '销售管道', 0)"
    )
    op.add_column(
        "opportunities",
        sa.Column("pipeline", sa.String(40), server_default="default", nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_opportunities_pipeline_stage",
        "opportunities",
        ["pipeline", "stage"],
        schema=schema,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )


def downgrade() -> None:
    schema = tenant_schema()
    q = quoted_schema()
    # Only the default pipeline survives a downgrade: the others' workflows and their deals' place go.
    op.drop_index("ix_opportunities_pipeline_stage", table_name="opportunities", schema=schema)
    op.drop_column("opportunities", "pipeline", schema=schema)
    op.drop_index("uq_workflow_pipelines_name", table_name="workflow_pipelines", schema=schema)
    op.drop_table("workflow_pipelines", schema=schema)
    op.drop_column("stage_history", "workflow_key", schema=schema)
    op.execute(f"DELETE FROM {q}.workflows WHERE key <> 'default'")
    op.drop_index("ix_workflows_current", table_name="workflows", schema=schema)
    op.create_index(
        "ix_workflows_current",
        "workflows",
        ["entity"],
        unique=True,
        schema=schema,
        postgresql_where=sa.text("is_current"),
    )
    op.drop_constraint("uq_workflows_entity_key_version", "workflows", schema=schema, type_="unique")
    op.create_unique_constraint(
        "uq_workflows_entity_version", "workflows", ["entity", "version"], schema=schema
    )
    op.drop_column("workflows", "key", schema=schema)
