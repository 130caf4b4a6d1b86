"""Workflows as the audit log shows them (a record's id is the entity key it drives)."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.registry import EntitySpec, register
from app.workflows.permissions import MODULE  # noqa: F401  (the module named below is registered)

WORKFLOW = register(
    EntitySpec(
        key="workflow",
        label=N_("Workflow"),
        plural=N_("Workflows"),
        module="workflows",  # app.workflows.permissions (workflows:manage)
        page="/workflows/{id}",
        staff_fields=(),
        # Refusals of the pipeline verbs (app.workflows.pipelines).
        errors={
            "duplicate_name": N_("Another pipeline has this name."),
            "last_pipeline": N_("The last pipeline cannot be archived."),
            "unknown_pipeline": N_("Choose one of the pipelines."),
        },
        actions={"archive": N_("Archive")},
    )
)
