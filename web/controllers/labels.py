"""How stored values read in the admin: field labels and enum choices, through the catalog."""

from __future__ import annotations

from typing import Any

from app.customers.fields import GENDERS, KINDS, SOURCES, STATUSES, TIERS
from app.i18n import gettext as _


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated where it is shown."""
    return message


# Stored values → English msgids (zh_CN: 潜在/意向/成交/流失 ...), translated when shown.
CHOICES: dict[str, dict[str, str]] = {
    "kind": {"individual": N_("Individual"), "company": N_("Company")},
    "gender": {"male": N_("Male"), "female": N_("Female"), "unknown": N_("Unknown")},
    "status": {"lead": N_("Lead"), "interested": N_("Interested"), "won": N_("Won"), "lost": N_("Lost")},
    "tier": {"normal": N_("Normal"), "silver": N_("Silver"), "gold": N_("Gold"), "vip": N_("VIP")},
    "source": {
        "walk_in": N_("Store visit"),
        "referral": N_("Referral"),
        "online": N_("Online"),
        "phone": N_("Phone call"),
        "exhibition": N_("Trade show"),
        "community": N_("Community event"),
        "old_customer": N_("Repeat purchase"),
    },
}
assert tuple(CHOICES["kind"]) == KINDS and tuple(CHOICES["gender"]) == GENDERS
assert tuple(CHOICES["status"]) == STATUSES and tuple(CHOICES["tier"]) == TIERS
assert tuple(CHOICES["source"]) == SOURCES

FIELD_LABELS: dict[str, str] = {
    "name": N_("Name"),
    "kind": N_("Type"),
    "gender": N_("Gender"),
    "mobile": N_("Mobile"),
    "email": N_("Email"),
    "province": N_("Province"),
    "city": N_("City"),
    "district": N_("District"),
    "address_detail": N_("Street address"),
    "source": N_("Source"),
    "status": N_("Status"),
    "tier": N_("Tier"),
    "owner_id": N_("Owner"),
    "birthday": N_("Birthday"),
    "notes": N_("Notes"),
    "tags": N_("Tags"),
    "version": N_("Version"),
    "deleted": N_("In recycle bin"),
    "revoked": N_("Revoked"),
    "prefix": N_("Token prefix"),
    "user_id": N_("Staff member"),
}


def choice_label(kind: str, value: str | None) -> str:
    if value in (None, ""):
        return ""
    msgid = CHOICES.get(kind, {}).get(value)
    return _(msgid) if msgid else str(value)


def field_label(name: str) -> str:
    return _(FIELD_LABELS.get(name, name))


def display_value(name: str, value: Any, names: dict[str, str]) -> str:
    """One audited value as a person reads it: labels for enums, names for staff ids."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if name in ("owner_id", "user_id"):
        return names.get(str(value), str(value)[:8])
    if name in CHOICES:
        return choice_label(name, value)
    return str(value)
