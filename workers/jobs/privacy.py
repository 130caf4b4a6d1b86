"""Data-subject exports (app.privacy.subject_export): one job per export, under its natural id."""

from __future__ import annotations

import uuid
from typing import Any

from app.privacy import subject_export


async def export_subject_data(ctx: dict[str, Any], schema: str, export_id: str) -> str:
    """Write one person's ZIP (idempotent: a done export returns at once)."""
    return await subject_export.run_subject_export(ctx["db"], schema, uuid.UUID(export_id))
