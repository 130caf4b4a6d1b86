"""The permission catalog: every permission string, grouped by module, with its label.

A permission is ``"<module>:<action>"``. Entities and shared areas register theirs at import
(``register_module``); roles store the strings; the role editor shows the catalog as a matrix
(modules down, actions across). A string that is not in the catalog is refused wherever roles are
edited. New permissions reach existing tenants' roles through a migration that grants them by a
stated default (see ``app/roles``), never by being silently absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.kit.enums import N_

# The actions a module may offer, in the matrix's column order.
ACTIONS: dict[str, str] = {
    "read": N_("View"),
    "create": N_("Create"),
    "edit": N_("Edit"),
    "delete": N_("Delete"),
    "export": N_("Export"),
    "import": N_("Import"),
    "manage": N_("Manage"),
    "approve": N_("Approve"),
    "reveal": N_("Reveal sensitive data"),
}


@dataclass(frozen=True)
class Module:
    key: str  # "customers"
    label: str  # msgid
    actions: tuple[str, ...]
    # Per-action labels when an action means something narrower here ("manage" on tokens).
    action_labels: dict[str, str] = field(default_factory=dict)

    def permissions(self) -> tuple[str, ...]:
        return tuple(f"{self.key}:{a}" for a in self.actions)

    def label_of(self, action: str) -> str:
        return self.action_labels.get(action) or ACTIONS.get(action, action)


_modules: dict[str, Module] = {}


def register_module(
    key: str, label: str, actions: tuple[str, ...], action_labels: dict[str, str] | None = None
) -> Module:
    """Declare a module's permissions (idempotent for the same declaration)."""
    for action in actions:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r} for module {key!r}")
    module = Module(key, label, actions, dict(action_labels or {}))
    existing = _modules.get(key)
    if existing is not None and existing != module:
        raise ValueError(f"module {key!r} registered twice with different permissions")
    _modules[key] = module
    return module


def modules() -> tuple[Module, ...]:
    return tuple(_modules.values())


def all_permissions() -> tuple[str, ...]:
    return tuple(p for m in _modules.values() for p in m.permissions())


def is_known(permission: str) -> bool:
    module, _, action = permission.partition(":")
    found = _modules.get(module)
    return found is not None and action in found.actions
