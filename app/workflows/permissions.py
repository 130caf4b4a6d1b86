"""Who may change a workflow. Reading one needs only the read permission of its entity's module."""

from __future__ import annotations

from app.kit.enums import N_
from app.kit.permissions import register_module

MODULE = register_module("workflows", N_("Workflows"), ("manage",), {"manage": N_("Edit workflows")})
WORKFLOWS_MANAGE = "workflows:manage"
