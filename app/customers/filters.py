"""The customer list's filters, declared once (app.kit.filters): the admin list's query string,
exports' stored filters, the GraphQL ``CustomerFilter`` input and the service all read this."""

from __future__ import annotations

from app.customers.fields import CustomerSource, CustomerStatus, CustomerTier
from app.kit.enums import N_
from app.kit.filters import DateRange, FilterSpec, Flag, OneOf, Owner, Search, Tag

CUSTOMER_FILTERS = FilterSpec(
    Search("search", N_("Search"), param="q", max_length=200),
    Owner("owner_id", N_("Owner"), param="owner"),
    Tag("tag", N_("Tags"), max_length=30),
    OneOf("status", N_("Status"), enum=CustomerStatus),
    OneOf("tier", N_("Tier"), enum=CustomerTier),
    OneOf("source", N_("Source"), enum=CustomerSource),
    DateRange("created", N_("Created"), column="created_at"),
    Flag("trashed", N_("Recycle bin")),
    custom=True,
)
