"""Permission strings, data scopes and the role templates every new tenant is seeded from.

The constants are the names code uses; the strings are what roles store (``app.kit.permissions``
holds the catalog). Entities register their own modules next to their model (customers:
``app.customers.entity``); the staff-side modules that belong to no entity are registered here.
Templates are the seeded defaults: a tenant's role whose ``template`` names one can be reset to it,
and a release that adds a permission grants it to existing roles by template key through a tenant
migration (``tenancy/migrations/tenant/versions/0006_roles_as_data.py`` is the first).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.kit.enums import N_
from app.kit.permissions import register_module

CUSTOMERS_READ = "customers:read"
CUSTOMERS_CREATE = "customers:create"
CUSTOMERS_EDIT = "customers:edit"
CUSTOMERS_DELETE = "customers:delete"
CUSTOMERS_EXPORT = "customers:export"
CUSTOMERS_IMPORT = "customers:import"
CUSTOMERS_REVEAL = "customers:reveal"
# Tags (rename, merge, colour, delete) and the list views shared with a team or a role (migration 0016).
CUSTOMERS_MANAGE = "customers:manage"
AUDIT_READ = "audit:read"
STAFF_MANAGE = "staff:manage"
ROLES_MANAGE = "roles:manage"
SETTINGS_MANAGE = "settings:manage"
TOKENS_CREATE = "tokens:create"

AUDIT = register_module("audit", N_("Audit log"), ("read",))
STAFF = register_module("staff", N_("Staff"), ("manage",), {"manage": N_("Manage staff")})
ROLES = register_module("roles", N_("Roles"), ("manage",), {"manage": N_("Manage roles")})
SETTINGS = register_module("settings", N_("Settings"), ("manage",), {"manage": N_("Manage settings")})
TOKENS = register_module("tokens", N_("API tokens"), ("create",), {"create": N_("Create API tokens")})
from app.workflows.permissions import WORKFLOWS_MANAGE  # noqa: E402  (registered with its area)

SCOPE_OWN, SCOPE_TEAM, SCOPE_ALL = "own", "team", "all"
DATA_SCOPES = (SCOPE_OWN, SCOPE_TEAM, SCOPE_ALL)
DATA_SCOPE_LABELS = {SCOPE_OWN: N_("Own"), SCOPE_TEAM: N_("Team"), SCOPE_ALL: N_("All")}


@dataclass(frozen=True)
class DefaultRole:
    """A role template: what a new tenant is seeded with and what "reset to template" restores."""

    key: str
    name: str
    permissions: tuple[str, ...]
    data_scope: str


_CUSTOMERS_ALL = (
    CUSTOMERS_READ,
    CUSTOMERS_CREATE,
    CUSTOMERS_EDIT,
    CUSTOMERS_DELETE,
    CUSTOMERS_EXPORT,
    CUSTOMERS_IMPORT,
    CUSTOMERS_REVEAL,
    CUSTOMERS_MANAGE,
)
_EVERYTHING = (
    *_CUSTOMERS_ALL,
    AUDIT_READ,
    STAFF_MANAGE,
    ROLES_MANAGE,
    SETTINGS_MANAGE,
    TOKENS_CREATE,
    WORKFLOWS_MANAGE,
    # A person's data export, erasure and the retention rule (PIPL; tenant migration 0018 grants it).
    "privacy:manage",
)
# Salespeople work their own customers but neither export them nor make API tokens: dealers forbid
# a leaving salesperson taking the customer list with them.
_CUSTOMER_WORK = (CUSTOMERS_READ, CUSTOMERS_CREATE, CUSTOMERS_EDIT)

# Catalog and stock (tenant migration 0011 granted these to existing roles by the same templates).
_CATALOG_ALL = ("catalog:read", "catalog:create", "catalog:edit", "catalog:delete")
_STOCK_ALL = ("inventory:read", "inventory:create", "inventory:manage")
_SEE_STOCK = ("catalog:read", "inventory:read")
_MOVE_STOCK = (*_SEE_STOCK, "inventory:create")
# Orders (tenant migration 0015 granted these to existing roles by the same templates): salespeople
# and service staff sell and record payments; a manager also approves large or discounted orders.
# Whoever sells also quotes (tenant migration 0019 granted the quotes permissions the same way).
_SELL = ("orders:read", "orders:create", "orders:edit", "quotes:read", "quotes:create", "quotes:edit")
_ORDERS_ALL = (*_SELL, "orders:delete", "orders:approve", "quotes:delete")
# Leads and the shared pool (tenant migration 0021 granted these to existing roles by the same
# templates): salespeople work leads and claim from the pool; managers set rules, pools and caps.
_WORK_LEADS = ("leads:read", "leads:create", "leads:edit", "pools:read")
_LEADS_ALL = (*_WORK_LEADS, "leads:delete", "leads:import", "leads:manage", "pools:manage")
# The pipeline and contracts (tenant migration 0022 granted these to existing roles by the same
# templates): salespeople work their own deals and contracts; a manager also sets the targets.
_DEALS = ("opportunities:read", "opportunities:create", "opportunities:edit")
_CONTRACTS = ("contracts:read", "contracts:create", "contracts:edit")
_PIPELINE_ALL = (*_DEALS, "opportunities:delete", "opportunities:manage", *_CONTRACTS, "contracts:delete")
_SEE_PIPELINE = ("opportunities:read", "contracts:read")

DEFAULT_ROLES: tuple[DefaultRole, ...] = (
    DefaultRole(
        "owner",
        "所有者",
        (*_EVERYTHING, *_CATALOG_ALL, *_STOCK_ALL, *_ORDERS_ALL, *_LEADS_ALL, *_PIPELINE_ALL),
        SCOPE_ALL,
    ),
    DefaultRole(
        "admin",
        "管理员",
        (*_EVERYTHING, *_CATALOG_ALL, *_STOCK_ALL, *_ORDERS_ALL, *_LEADS_ALL, *_PIPELINE_ALL),
        SCOPE_ALL,
    ),
    DefaultRole(
        "manager",
        "经理",
        (
            *_CUSTOMER_WORK,
            CUSTOMERS_DELETE,
            CUSTOMERS_EXPORT,
            CUSTOMERS_IMPORT,
            CUSTOMERS_MANAGE,
            AUDIT_READ,
            TOKENS_CREATE,
            WORKFLOWS_MANAGE,
            *_CATALOG_ALL,
            *_STOCK_ALL,
            *_ORDERS_ALL,
            *_LEADS_ALL,
            *_PIPELINE_ALL,
        ),
        SCOPE_TEAM,
    ),
    DefaultRole(
        "sales", "销售", (*_CUSTOMER_WORK, *_SEE_STOCK, *_SELL, *_WORK_LEADS, *_DEALS, *_CONTRACTS), SCOPE_OWN
    ),
    DefaultRole(
        "service",
        "售后客服",
        (*_CUSTOMER_WORK, TOKENS_CREATE, *_MOVE_STOCK, *_SELL, *_WORK_LEADS, *_SEE_PIPELINE),
        SCOPE_ALL,
    ),
    DefaultRole("technician", "技师", (CUSTOMERS_READ, *_MOVE_STOCK), SCOPE_OWN),
    DefaultRole(
        "marketing",
        "市场",
        (CUSTOMERS_READ, CUSTOMERS_EXPORT, "catalog:read", "leads:read", "leads:create", "leads:import"),
        SCOPE_ALL,
    ),
    DefaultRole(
        "viewer",
        "只读",
        (CUSTOMERS_READ, *_SEE_STOCK, "orders:read", "quotes:read", "leads:read", *_SEE_PIPELINE),
        SCOPE_ALL,
    ),
)
# Deliveries and installations, webhooks (tenant migration 0020 granted these to existing roles by
# the same templates): sales and the service desk book visits, technicians work on theirs, managers
# set team capacity; webhooks and ERP endpoints are the owner's and admin's.
_DELIVERIES_ALL = ("deliveries:read", "deliveries:create", "deliveries:edit", "deliveries:manage")
_FULFILMENT: dict[str, tuple[str, ...]] = {
    "owner": (*_DELIVERIES_ALL, "integrations:manage"),
    "admin": (*_DELIVERIES_ALL, "integrations:manage"),
    "manager": _DELIVERIES_ALL,
    "sales": ("deliveries:read", "deliveries:create"),
    "service": ("deliveries:read", "deliveries:create", "deliveries:edit"),
    "technician": ("deliveries:read", "deliveries:edit"),
    "viewer": ("deliveries:read",),
}
DEFAULT_ROLES = tuple(
    DefaultRole(r.key, r.name, (*r.permissions, *_FULFILMENT.get(r.key, ())), r.data_scope)
    for r in DEFAULT_ROLES
)
TEMPLATES: dict[str, DefaultRole] = {r.key: r for r in DEFAULT_ROLES}
