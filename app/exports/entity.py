"""Exports as the audit log shows them (who took which list out, with which filter)."""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum
from app.kit.registry import EntitySpec, register


class ExportState(LabeledEnum):
    """An export job's status as people read it (the values of ``ExportStatus``)."""

    QUEUED = "queued", N_("Waiting")
    RUNNING = "running", N_("Exporting")
    DONE = "done", N_("Ready")
    FAILED = "failed", N_("Failed")


EXPORT = register(
    EntitySpec(
        key="export",
        label=N_("Export"),
        plural=N_("Exports"),
        module="customers",
        page="/exports",
        fields={
            "entity": N_("Object"),
            "format": N_("File format"),
            "filters": N_("Filter"),
            "status": N_("Status"),
            "attempts": N_("Attempts"),
            "error": N_("Error"),
            "file": N_("File"),
            "rows": N_("Rows"),
        },
        choices={"status": ExportState},
        actions={"request": N_("Export requested"), "retry": N_("Retry"), "download": N_("Download")},
        title=lambda snapshot: "",
        staff_fields=(),
    )
)
