"""How stored values read in the admin: field labels and enum choices, through the catalog.

Every entity declares its own field labels and choices (``app.kit.registry``); this module only
looks them up, so an order's ``status`` never collides with a customer's. The few labels here
belong to no entity: the bookkeeping fields every audit record may carry.
"""

from __future__ import annotations

from typing import Any

from app.entities import entity
from app.i18n import gettext as _
from app.kit.enums import N_
from app.kit.registry import EntitySpec

CUSTOMER = "customer"

# Fields of audit snapshots that belong to no entity in particular.
COMMON_FIELD_LABELS: dict[str, str] = {
    "version": N_("Version"),
    "deleted": N_("In recycle bin"),
    "revoked": N_("Revoked"),
    "prefix": N_("Token prefix"),
    "user_id": N_("Staff member"),
}


def _spec(key: str) -> EntitySpec:
    spec = entity(key)
    if spec is None:
        raise KeyError(f"unknown entity {key!r}")
    return spec


def choices(key: str = CUSTOMER) -> dict[str, dict[str, str]]:
    """Field → stored value → label msgid, for an entity's choice fields (forms and filters)."""
    return {name: enum.labels() for name, enum in _spec(key).choices.items()}


# The customer's choices, for the customer templates (``choices[name]`` lists the stored values).
CHOICES = choices(CUSTOMER)
# The customer's field labels plus the common ones, in display order (audit diffs sort by it).
FIELD_LABELS: dict[str, str] = {**_spec(CUSTOMER).fields, **COMMON_FIELD_LABELS}


def choice_label(kind: str, value: str | None, entity_key: str = CUSTOMER) -> str:
    if value in (None, ""):
        return ""
    spec = entity(entity_key)
    msgid = spec.choice_label(kind, value) if spec is not None else None
    return _(msgid) if msgid else str(value)


def field_label(name: str, entity_key: str = CUSTOMER) -> str:
    spec = entity(entity_key)
    if spec is not None and name in spec.fields:
        return _(spec.fields[name])
    return _(COMMON_FIELD_LABELS.get(name, name))


def field_order(entity_key: str = CUSTOMER) -> list[str]:
    spec = entity(entity_key)
    return [*(spec.fields if spec is not None else {}), *COMMON_FIELD_LABELS]


def display_value(name: str, value: Any, names: dict[str, str], entity_key: str = CUSTOMER) -> str:
    """One audited value as a person reads it: labels for enums, names for staff ids."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        # A nested set of another entity's fields (an export's filter over customers).
        inner = str(value.get("entity") or CUSTOMER) if entity(str(value.get("entity") or "")) else CUSTOMER
        parts = [
            f"{field_label(k, inner)}: {display_value(k, v, names, inner)}"
            for k, v in value.items()
            if v not in (None, "", [], {}) and k != "entity"
        ]
        return "；".join(parts) or "—"
    if name == "entity" and isinstance(value, str) and (named := entity(value)) is not None:
        return _(named.label)  # which kind of record (an export's "customers")
    spec = entity(entity_key)
    staff_fields = (*(spec.staff_fields if spec is not None else ()), "owner_id", "user_id")
    if name in staff_fields:
        return names.get(str(value), str(value)[:8])
    if spec is not None and name in spec.choices:
        return choice_label(name, value, entity_key)
    return str(value)
