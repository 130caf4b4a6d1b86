"""Roles and the permission catalog as the API shows and accepts them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry

from app.accounts.models import Role as RoleModel
from app.accounts.permissions import DATA_SCOPES
from app.graphql.errors import NotFoundError, PermissionDeniedError, ValidationError, VersionConflictError
from app.graphql.kit import from_record
from app.i18n import gettext as _
from app.kit.permissions import Module
from app.roles.service import RoleInput


@strawberry.enum(description="Whose records a role's holders see: their own, their team's, or all.")
class DataScope(enum.Enum):
    OWN = "own"
    TEAM = "team"
    ALL = "all"


# The API's enum spells the domain's data scopes; import fails if the two ever drift apart.
assert tuple(m.value for m in DataScope) == DATA_SCOPES


@strawberry.type(description="One action of a module, e.g. customers:export.")
class Permission:
    name: str = strawberry.field(description='The permission string roles hold, e.g. "customers:export".')
    action: str
    label: str = strawberry.field(description="In the caller's language.")


@strawberry.type(description="A module of the permission catalog and the actions it offers.")
class PermissionModule:
    key: str
    label: str = strawberry.field(description="In the caller's language.")
    permissions: list[Permission]

    @classmethod
    def from_module(cls, module: Module) -> PermissionModule:
        return cls(
            key=module.key,
            label=_(module.label),
            permissions=[
                Permission(name=f"{module.key}:{a}", action=a, label=_(module.label_of(a)))
                for a in module.actions
            ],
        )


@strawberry.type(description="A named set of permissions plus how much data its holders see.")
class Role:
    id: strawberry.ID
    key: str = strawberry.field(
        description="Stable key: a template's key for seeded roles, custom-… otherwise."
    )
    name: str
    template: str | None = strawberry.field(description="The template the role was seeded or copied from.")
    permissions: list[str]
    data_scope: DataScope
    holders: int = strawberry.field(description="How many staff members hold the role.")
    version: int = strawberry.field(description="Pass it back to updateRole.")
    updated_at: datetime | None

    @classmethod
    def from_model(cls, role: RoleModel, holders: int) -> Role:
        return from_record(cls, role, holders=holders)


@strawberry.input(description="A new role; with template, what is left out is copied from the template.")
class CreateRoleInput:
    name: str
    permissions: list[str] | None = None
    data_scope: DataScope | None = None
    template: str | None = strawberry.field(default=None, description="A template key, e.g. sales.")

    def to_domain(self) -> RoleInput:
        return RoleInput(
            name=self.name,
            permissions=list(self.permissions) if self.permissions is not None else None,
            data_scope=self.data_scope.value if self.data_scope is not None else None,
        )


@strawberry.input(description="Change a role, given the version you read; left-out fields stay as they are.")
class UpdateRoleInput:
    id: strawberry.ID
    version: int
    name: str | None = None
    permissions: list[str] | None = strawberry.field(default=None, description="The complete new set.")
    data_scope: DataScope | None = None

    def to_domain(self) -> RoleInput:
        return RoleInput(
            name=self.name,
            permissions=list(self.permissions) if self.permissions is not None else None,
            data_scope=self.data_scope.value if self.data_scope is not None else None,
        )


@strawberry.type
class RolePayload:
    role: Role


RoleMutationResult = Annotated[
    RolePayload | ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError,
    strawberry.union("RoleMutationResult"),
]
