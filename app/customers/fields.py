"""The customer's enumerations and field facts, declared once.

Each enum carries its stored value (English key) and its label msgid; the GraphQL enums, the
admin's choices and labels, exports and the database checks all derive from these classes.
"""

from __future__ import annotations

from app.kit.enums import N_, LabeledEnum


class CustomerKind(LabeledEnum):
    INDIVIDUAL = "individual", N_("Individual")
    COMPANY = "company", N_("Company")


class Gender(LabeledEnum):
    MALE = "male", N_("Male")
    FEMALE = "female", N_("Female")
    UNKNOWN = "unknown", N_("Unknown")


class CustomerStatus(LabeledEnum):
    """The lifecycle stage (潜在 / 意向 / 成交 / 流失)."""

    LEAD = "lead", N_("Lead")
    INTERESTED = "interested", N_("Interested")
    WON = "won", N_("Won")
    LOST = "lost", N_("Lost")


class CustomerTier(LabeledEnum):
    NORMAL = "normal", N_("Normal")
    SILVER = "silver", N_("Silver")
    GOLD = "gold", N_("Gold")
    VIP = "vip", N_("VIP")


class CustomerSource(LabeledEnum):
    WALK_IN = "walk_in", N_("Store visit")
    REFERRAL = "referral", N_("Referral")
    ONLINE = "online", N_("Online")
    PHONE = "phone", N_("Phone call")
    EXHIBITION = "exhibition", N_("Trade show")
    COMMUNITY = "community", N_("Community event")
    OLD_CUSTOMER = "old_customer", N_("Repeat purchase")


KINDS = CustomerKind.values()
GENDERS = Gender.values()
STATUSES = CustomerStatus.values()
TIERS = CustomerTier.values()
SOURCES = CustomerSource.values()

# Field name → the enum it stores.
CHOICES = {
    "kind": CustomerKind,
    "gender": Gender,
    "status": CustomerStatus,
    "tier": CustomerTier,
    "source": CustomerSource,
}

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

# Built-in field → label msgid, in display order (forms, detail, audit diffs, exports).
FIELD_LABELS = {
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
}

# Fields copied into audit records and exports, in display order.
RECORD_FIELDS = (
    "name",
    "kind",
    "gender",
    "mobile",
    "email",
    "province",
    "city",
    "district",
    "address_detail",
    "source",
    "status",
    "tier",
    "owner_id",
    "birthday",
    "notes",
)
