"""The customer's enumerations: stored values (English keys), shown through the translation catalog."""

from __future__ import annotations

KINDS = ("individual", "company")
GENDERS = ("male", "female", "unknown")
STATUSES = ("lead", "interested", "won", "lost")  # 潜在 / 意向 / 成交 / 流失
TIERS = ("normal", "silver", "gold", "vip")
SOURCES = ("walk_in", "referral", "online", "phone", "exhibition", "community", "old_customer")

SORT_FIELDS = ("created_at", "updated_at", "name")

MAX_TAGS = 20
LIMITS = {
    "name": 100,
    "email": 254,
    "address_detail": 200,
    "notes": 2000,
    "tag": 30,
    "province": 30,
    "city": 30,
    "district": 30,
}

# Fields copied into audit records and exports, in display order.
RECORD_FIELDS = (
    "name", "kind", "gender", "mobile", "email", "province", "city", "district", "address_detail",
    "source", "status", "tier", "owner_id", "birthday", "notes",
)
