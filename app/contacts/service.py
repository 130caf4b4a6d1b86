"""Contacts: only on company customers, visible with their customer, one primary per customer."""

from __future__ import annotations

from typing import Any

from app.contacts.models import Contact
from app.customers.models import Customer
from app.domain import FieldError, ValidationFailed
from app.kit.enums import N_
from app.kit.fields import Email, Fields, Flag, Mobile, Ref, Text
from app.kit.registry import EntitySpec, register
from app.kit.scope import ParentScope
from app.kit.search import SearchSource, register_search
from app.kit.service import EntityService

SPEC = register(
    EntitySpec(
        key="contact",
        label=N_("Contact"),
        plural=N_("Contacts"),
        module="customers",
        model=Contact,
        fields={
            "customer_id": N_("Customer"),
            "name": N_("Name"),
            "title": N_("Job title"),
            "mobile": N_("Mobile"),
            "email": N_("Email"),
            "is_primary": N_("Primary contact"),
        },
        errors={"not_a_company": N_("Contacts can only be added to company customers.")},
        page="/customers/{customer_id}#contacts",
        staff_fields=(),
        parent="customer",
        parent_field="customer_id",
        slug="contacts",
        section_order=10,
        shown_on=lambda customer: customer.kind == "company",
    )
)


class ContactService(EntityService[Contact]):
    spec = SPEC
    model = Contact
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "name": Text(required=True, max_length=60),
            "title": Text(max_length=60),
            "mobile": Mobile(),
            "email": Email(),
            "is_primary": Flag(),
        }
    )
    scope = ParentScope(Customer, "customer_id", "customer")
    create_only = ("customer_id",)
    section_order_by = ("-is_primary", "created_at")
    one_per_parent = "is_primary"

    async def before_create(self, values: dict[str, Any]) -> None:
        if self.parent.kind != "company":
            raise ValidationFailed(
                [FieldError("customer_id", "not_a_company", "contacts belong to company customers")]
            )


# Found by the global search by name or mobile fragment (no gram index: contacts are few per customer).
SEARCH = register_search(
    SearchSource("contact", columns=("name", "mobile"), subtitle=("title", "mobile"), order=20)
)
