"""The lead, declared to the entity kit (labels, choices, page, navigation, permissions), the pool's
permissions, its actions on customers' audit records, and the notification kinds both send."""

from __future__ import annotations

from app.customers.entity import SPEC as CUSTOMER
from app.kit.enums import N_
from app.kit.permissions import register_module
from app.kit.registry import EntitySpec, NavItem, add_actions, register
from app.leads.fields import LeadSource, LeadStatus
from app.leads.models import Lead
from app.notifications.kinds import IN_APP, Kind, register_kind

LEADS_READ = "leads:read"
LEADS_MANAGE = "leads:manage"
POOLS_READ = "pools:read"
POOLS_MANAGE = "pools:manage"

MODULE = register_module(
    "leads",
    N_("Leads"),
    ("read", "create", "edit", "delete", "import", "manage"),
    {"manage": N_("Set assignment rules and the web form")},
)
POOLS = register_module(
    "pools",
    N_("Customer pools"),
    ("read", "manage"),
    {"read": N_("See pools and claim customers"), "manage": N_("Set up pools, caps and the return rule")},
)

LEAD = register(
    EntitySpec(
        key="lead",
        label=N_("Lead"),
        plural=N_("Leads"),
        module="leads",
        model=Lead,
        fields={
            "name": N_("Name"),
            "mobile": N_("Mobile"),
            "email": N_("Email"),
            "company": N_("Company"),
            "province": N_("Province"),
            "city": N_("City"),
            "district": N_("District"),
            "product_category": N_("Product interest"),
            "message": N_("Message"),
            "source": N_("Lead source"),
            "status": N_("Lead status"),
            "owner_id": N_("Owner"),
            "respond_by": N_("Respond by"),
        },
        choices={"source": LeadSource, "status": LeadStatus},
        errors={
            "already_converted": N_("This lead was converted already."),
            "no_candidate": N_("No active staff member matches the assignment rules."),
            "unknown_owner": N_("Choose an active staff member."),
            "contact_required": N_("Give a mobile number or an e-mail address."),
            "stale_form": N_("This form has expired; please send it again."),
        },
        actions={"assign": N_("Assign"), "convert": N_("Convert to customer")},
        page="/leads/{id}",
        nav=NavItem("leads", N_("Leads"), "/leads", LEADS_READ, order=12),
    )
)

# A customer's moves in and out of the pools, on its audit log and timeline.
add_actions(
    CUSTOMER.key,
    {
        "claim": N_("Claimed from the pool"),
        "release": N_("Released to the pool"),
        "return_to_pool": N_("Returned to the pool"),
    },
)

LEAD_ASSIGNED = register_kind(Kind("lead.assigned", N_("A lead was assigned to me"), "leads", (IN_APP,)))
LEAD_OVERDUE = register_kind(
    Kind("lead.overdue", N_("A lead waits for my first response"), "leads", (IN_APP,))
)
POOL_WARNING = register_kind(
    Kind("pool.warning", N_("A customer of mine will return to the pool"), "customers", (IN_APP,))
)
POOL_RETURNED = register_kind(
    Kind("pool.returned", N_("A customer of mine returned to the pool"), "customers", (IN_APP,))
)

LEAD_ASSIGNED_TITLE = N_("New lead for you: %(lead)s")
LEAD_OVERDUE_TITLE = N_("Lead waiting for your first response: %(lead)s")
POOL_WARNING_TITLE = N_("%(customer)s returns to the pool on %(on)s")
POOL_WARNING_BODY = N_("Log a follow-up or a deal before then to keep the customer.")
POOL_RETURNED_TITLE = N_("%(customer)s returned to the pool")
