"""Customer addresses: official province/city/district, visible with their customer, one default."""

from __future__ import annotations

from app.addresses.fields import AddressKind
from app.addresses.models import Address
from app.customers.models import Customer
from app.kit.enums import N_
from app.kit.fields import Choice, Fields, Flag, Mobile, Ref, Text
from app.kit.registry import EntitySpec, register
from app.kit.scope import ParentScope
from app.kit.service import EntityService

SPEC = register(
    EntitySpec(
        key="address",
        label=N_("Address"),
        plural=N_("Addresses"),
        module="customers",
        model=Address,
        fields={
            "customer_id": N_("Customer"),
            "kind": N_("Address type"),
            "recipient": N_("Recipient"),
            "phone": N_("Recipient mobile"),
            "province": N_("Province"),
            "city": N_("City"),
            "district": N_("District"),
            "detail": N_("Street address"),
            "is_default": N_("Default address"),
        },
        choices={"kind": AddressKind},
        page="/customers/{customer_id}#addresses",
        staff_fields=(),
        parent="customer",
        parent_field="customer_id",
        slug="addresses",
        section_order=20,
        title=lambda a: " ".join(p for p in (a.province, a.city, a.district, a.detail) if p),
    )
)


class AddressService(EntityService[Address]):
    spec = SPEC
    model = Address
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "kind": Choice(required=True, enum=AddressKind),
            "recipient": Text(max_length=60),
            "phone": Mobile(),
            "detail": Text(required=True, max_length=200),
            "is_default": Flag(),
        },
        defaults={"kind": AddressKind.DELIVERY.value},
        division=True,
        division_required=True,
    )
    scope = ParentScope(Customer, "customer_id", "customer")
    create_only = ("customer_id",)
    section_order_by = ("-is_default", "created_at")
    one_per_parent = "is_default"
