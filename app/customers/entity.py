"""The customer, declared to the entity kit: labels, choices, page, navigation, permissions."""

from __future__ import annotations

from app.customers.fields import CHOICES, FIELD_LABELS
from app.customers.lifecycle import default_lifecycle
from app.customers.models import Customer
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, register
from app.kit.sensitive import BankCardNumber, IdCardNumber, SensitiveFields, register_sensitive

ENTITY = "customer"

MODULE = register_module(
    "customers",
    N_("Customers"),
    ("read", "create", "edit", "delete", "export", "import", "reveal", "manage"),
    # Tags (rename, merge, colour, delete) and the views shared with a team or a role.
    {"manage": N_("Manage tags and shared views")},
)

SPEC = register(
    EntitySpec(
        key=ENTITY,
        label=N_("Customer"),
        plural=N_("Customers"),
        module="customers",
        model=Customer,
        fields=FIELD_LABELS,
        choices=dict(CHOICES),
        page="/customers/{id}",
        nav=NavItem("customers", N_("Customers"), "/customers", "customers:read", order=10),
        customizable=True,
        pinyin_sort=("name",),
        workflow_field="status",
        default_workflow=default_lifecycle,
        # Merging two customers (app.duplicates.merge) and its undo.
        actions={
            "merge": N_("Merge"),
            "unmerge": N_("Undo merge"),
            # Sensitive data and PIPL (app.privacy).
            "reveal": N_("Revealed sensitive data"),
            "sensitive_update": N_("Changed sensitive data"),
            "erase": N_("Erased personal data"),
        },
    )
)

# ID card and bank card numbers: sealed by app.privacy, shown masked, revealed with customers:reveal,
# saved only under the customer's "sensitive data" consent.
SENSITIVE = register_sensitive(
    ENTITY,
    SensitiveFields(
        fields={
            "id_card": IdCardNumber(label=N_("ID card number")),
            "bank_card": BankCardNumber(label=N_("Bank card number")),
        },
        subject=lambda customer: customer.id,
    ),
)
