"""Products, declared to the entity kit: labels, choices, page, navigation, permissions."""

from __future__ import annotations

from app.catalog.fields import EnergyGrade, ProductKind
from app.catalog.models import Product
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register

CATALOG_READ = "catalog:read"

MODULE = register_module("catalog", N_("Catalog"), ("read", "create", "edit", "delete"))

PRODUCT = register(
    EntitySpec(
        key="product",
        label=N_("Product"),
        plural=N_("Products"),
        module="catalog",
        model=Product,
        fields={
            "sku": N_("SKU"),
            "name": N_("Product name"),
            "model": N_("Model"),
            "kind": N_("Product kind"),
            "brand_id": N_("Brand"),
            "category_id": N_("Category"),
            "unit": N_("Unit"),
            "list_price": N_("List price"),
            "cost": N_("Cost"),
            "warranty_months": N_("Warranty (months)"),
            "serial_tracked": N_("Serial numbers"),
            "energy_grade": N_("Energy label"),
            "specs": N_("Specifications"),
            "replacement_months": N_("Replace every (months)"),
        },
        choices={"kind": ProductKind, "energy_grade": EnergyGrade},
        errors={
            "duplicate_sku": N_("Another product already has this SKU."),
            "unknown_brand": N_("Choose a brand from the list."),
            "unknown_category": N_("Choose a category from the list."),
            "has_stock": N_("This product still has stock; move or write it off first."),
            "serial_change_with_stock": N_("Serial tracking can only change while the product has no stock."),
        },
        page="/catalog/products/{id}",
        nav=NavItem("products", N_("Products"), "/catalog/products", CATALOG_READ, order=30),
        customizable=True,
        staff_fields=(),
        title=lambda p: f"{p.name} {p.model}" if p.model else p.name,
    )
)
