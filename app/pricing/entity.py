"""Price lists, declared to the entity kit: labels, choices, page, navigation. They are managed with
the catalog's permissions (whoever edits products edits their prices)."""

from __future__ import annotations

from app.catalog.entity import CATALOG_READ
from app.customers.fields import CustomerTier
from app.kit.enums import N_
from app.kit.registry import EntitySpec, NavItem, register
from app.pricing.fields import PriceListKind
from app.pricing.models import PriceList

PRICE_LIST = register(
    EntitySpec(
        key="price_list",
        label=N_("Price list"),
        plural=N_("Price lists"),
        module="catalog",
        model=PriceList,
        fields={
            "name": N_("Price list name"),
            "kind": N_("Price list kind"),
            "tier": N_("For customers of tier"),
            "valid_from": N_("Valid from"),
            "valid_to": N_("Valid to"),
            "note": N_("Note"),
            "items": N_("Prices"),
        },
        choices={"kind": PriceListKind, "tier": CustomerTier},
        errors={
            "overlapping": N_("Another price list serves these customers in an overlapping period."),
            "before_start": N_("The end date is before the start date."),
            "price_list_expired": N_("This price list is not valid on this date."),
            "unknown_price_list": N_("Choose a price list from the list."),
            "repeated_product": N_("This product is already priced on this list."),
            "invalid_amount": N_("Enter an amount in yuan, such as 3999.00."),
            "unknown_product": N_("Choose a product from the catalog."),
        },
        page="/price-lists/{id}",
        nav=NavItem("price_lists", N_("Price lists"), "/price-lists", CATALOG_READ, order=31),
        staff_fields=(),
    )
)
