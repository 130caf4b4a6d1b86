"""Permission strings, data scopes and the roles every new tenant starts with."""

from __future__ import annotations

from dataclasses import dataclass

CUSTOMERS_READ = "customers:read"
CUSTOMERS_WRITE = "customers:write"
CUSTOMERS_DELETE = "customers:delete"
CUSTOMERS_EXPORT = "customers:export"
AUDIT_READ = "audit:read"
USERS_MANAGE = "users:manage"
TOKENS_OWN = "tokens:own"

ALL_PERMISSIONS = (
    CUSTOMERS_READ,
    CUSTOMERS_WRITE,
    CUSTOMERS_DELETE,
    CUSTOMERS_EXPORT,
    AUDIT_READ,
    USERS_MANAGE,
    TOKENS_OWN,
)

SCOPE_OWN, SCOPE_TEAM, SCOPE_ALL = "own", "team", "all"
DATA_SCOPES = (SCOPE_OWN, SCOPE_TEAM, SCOPE_ALL)


@dataclass(frozen=True)
class DefaultRole:
    key: str
    name: str
    permissions: tuple[str, ...]
    data_scope: str


_EVERYTHING = ALL_PERMISSIONS
_CUSTOMER_WORK = (CUSTOMERS_READ, CUSTOMERS_WRITE, CUSTOMERS_EXPORT, TOKENS_OWN)

DEFAULT_ROLES: tuple[DefaultRole, ...] = (
    DefaultRole("owner", "所有者", _EVERYTHING, SCOPE_ALL),
    DefaultRole("admin", "管理员", _EVERYTHING, SCOPE_ALL),
    DefaultRole("manager", "经理", (*_CUSTOMER_WORK, CUSTOMERS_DELETE, AUDIT_READ), SCOPE_TEAM),
    DefaultRole("sales", "销售", _CUSTOMER_WORK, SCOPE_OWN),
    DefaultRole("service", "售后客服", (CUSTOMERS_READ, CUSTOMERS_WRITE, TOKENS_OWN), SCOPE_ALL),
    DefaultRole("technician", "技师", (CUSTOMERS_READ,), SCOPE_OWN),
    DefaultRole("marketing", "市场", (CUSTOMERS_READ, CUSTOMERS_EXPORT), SCOPE_ALL),
    DefaultRole("viewer", "只读", (CUSTOMERS_READ,), SCOPE_ALL),
)
