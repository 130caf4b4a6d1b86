"""What every service shares: who is acting, and the typed errors services raise.

Resolvers and controllers turn these errors into GraphQL error types or form messages; services
never know which.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Actor:
    """The staff user behind a request, with what their role allows."""

    user_id: uuid.UUID
    name: str
    email: str
    role_key: str
    permissions: frozenset[str]
    data_scope: str
    team_id: uuid.UUID | None = None
    ip: str | None = None
    request_id: str | None = None
    via: str = "session"  # session | token | system
    # A personal access token's scopes ("read", "write"); None for sessions and the system.
    token_scopes: frozenset[str] | None = None
    # The API token's name ("ERP 同步") when the request came with one: the audit log says so.
    token_name: str | None = None
    # Set when the system acts on this person's behalf (a workflow's entry action moving stock they
    # could not move themselves): what it does. The audit log names both.
    system_action: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def label(self) -> str:
        if self.system_action:
            return f"{self.name} <{self.email}> · system: {self.system_action}"
        if self.via == "token" and self.token_name:
            return f"{self.name} <{self.email}> · API: {self.token_name}"
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class FieldError:
    """``field`` is a path into the input (``mobile``, ``address.city``); ``code`` is translatable."""

    field: str
    code: str
    message: str


class DomainError(Exception):
    code = "error"


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id} not found")
        self.entity = entity
        self.entity_id = str(entity_id)


class PermissionDenied(DomainError):
    code = "permission_denied"

    def __init__(self, permission: str) -> None:
        super().__init__(f"missing permission {permission}")
        self.permission = permission


@dataclass
class ValidationFailed(DomainError):
    errors: list[FieldError] = field(default_factory=list)
    code = "validation_failed"

    def __post_init__(self) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))


class VersionConflict(DomainError):
    code = "version_conflict"

    def __init__(
        self, entity_id: object, current_version: int, changed_by: str | None, changed_at: datetime | None
    ) -> None:
        super().__init__(f"{entity_id} was changed by {changed_by} at {changed_at}")
        self.entity_id = str(entity_id)
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at


class QuotaExceeded(ValidationFailed):
    """The tenant's plan has no room for one more (users, customers...). A validation failure, so
    every form and GraphQL mutation that reports those reports this too, under the field ``quota``
    with the code ``quota_exceeded``; ``message`` is already in the reader's language."""

    code = "quota_exceeded"

    def __init__(self, resource: str, limit: int, used: int, plan: str, message: str) -> None:
        self.resource = resource
        self.limit = limit
        self.used = used
        self.plan = plan
        super().__init__([FieldError("quota", "quota_exceeded", message)])
