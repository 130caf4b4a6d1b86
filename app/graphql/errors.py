"""Typed errors: business errors travel inside result unions; bad arguments to queries are GraphQL errors.

Services raise ``app.domain`` errors; this module is the one place that turns them into what an
integrator sees. Field paths name the GraphQL input (``["input", "address", "city"]``), not the
service's field names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError

from app import domain
from app.kit.duplicates import DuplicateFound

# Service field names whose GraphQL spelling is not the camelCase of the name.
_INPUT_NAMES: dict[str, tuple[str, ...]] = {
    "province": ("address", "province"),
    "city": ("address", "city"),
    "district": ("address", "district"),
    "address_detail": ("address", "detail"),
    # An order's delivery address (the input's deliveryAddress).
    **{
        f"delivery_{part}": ("deliveryAddress", part)
        for part in ("province", "city", "district", "detail", "recipient", "phone")
    },
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def field_path(field: str, prefix: tuple[str, ...] = ()) -> list[str]:
    """``address_detail`` → ``[*prefix, "address", "detail"]``; ``tags.2`` → ``[*prefix, "tags", "2"]``."""
    head, *rest = field.split(".")
    if head == "custom":  # custom-field keys are the tenant's own words: never camel-cased
        return [*prefix, "customFields", *rest]
    return [*prefix, *_INPUT_NAMES.get(head, (_camel(head),)), *(_camel(part) for part in rest)]


# -- error types inside result unions -------------------------------------------------------------


@strawberry.interface(description="What every typed error has: a message for people.")
class Error:
    message: str


@strawberry.type(description="One bad input field: where it is, a stable code, and a message.")
class FieldError:
    path: list[str] = strawberry.field(description='Path into the arguments, e.g. ["input", "mobile"].')
    code: str = strawberry.field(description="Stable machine-readable code, e.g. invalid_mobile, required.")
    message: str


@strawberry.type(
    description="The input was refused; every bad field is listed at once and nothing was written."
)
class ValidationError(Error):
    fields: list[FieldError]


@strawberry.type(description="No such record, or one outside the caller's data scope (the two read alike).")
class NotFoundError(Error):
    id: strawberry.ID


@strawberry.type(description="The caller's role lacks the permission this operation needs.")
class PermissionDeniedError(Error):
    permission: str


@strawberry.type(description="Someone else saved the record since the given version was read.")
class VersionConflictError(Error):
    id: strawberry.ID
    current_version: int
    changed_by: str | None = strawberry.field(description="Name of the staff member who saved it last.")
    changed_at: datetime | None


@strawberry.type(description="An existing customer the input matches (撞单).")
class DuplicateMatch:
    field: str = strawberry.field(description="The input field that matched: mobile, email or name.")
    owner_name: str | None = strawberry.field(description="Whose customer it is: ask them for a transfer.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Only when the customer is within your data scope; otherwise you learn only the owner."
    )
    customer_name: str | None = strawberry.field(
        description="Only when the customer is within your data scope."
    )


@strawberry.type(
    description="The input matches existing customers; nothing was written. When confirmable (the tenant "
    "warns rather than refuses), send it again with confirmDuplicates: true to save it anyway."
)
class DuplicateCustomerError(Error):
    matches: list[DuplicateMatch]
    confirmable: bool


ErrorType = (
    ValidationError | NotFoundError | PermissionDeniedError | VersionConflictError | DuplicateCustomerError
)


def error_type(exc: domain.DomainError, *, input_prefix: tuple[str, ...] = ("input",)) -> ErrorType:
    """The union member for a service's error."""
    if isinstance(exc, domain.QuotaExceeded):
        # A ValidationError whose one field error names the quota: integrators that handle
        # validation already show it; the code tells them it is the plan, not the input.
        message = (
            f"The plan ({exc.plan}) allows at most {exc.limit:,} {exc.resource} and {exc.used:,} are in use; "
            "nothing was written. Upgrade the plan or remove some first."
        )
        return ValidationError(
            message=message, fields=[FieldError(path=list(input_prefix), code=exc.code, message=message)]
        )
    if isinstance(exc, DuplicateFound):
        owners = ", ".join(sorted({m.owner_name or "nobody" for m in exc.matches}))
        return DuplicateCustomerError(
            message=f"Matches a customer of {owners}; nothing was written."
            + (" Send it again with confirmDuplicates: true to save it anyway." if exc.confirmable else ""),
            matches=[
                DuplicateMatch(
                    field=_camel(m.field),
                    owner_name=m.owner_name,
                    customer_id=strawberry.ID(str(m.record_id)) if m.visible else None,
                    customer_name=m.title if m.visible else None,
                )
                for m in exc.matches
            ],
            confirmable=exc.confirmable,
        )
    if isinstance(exc, domain.ValidationFailed):
        return ValidationError(
            message="The input is not valid.",
            fields=[
                FieldError(path=field_path(e.field, input_prefix), code=e.code, message=e.message)
                for e in exc.errors
            ],
        )
    if isinstance(exc, domain.NotFound):
        return NotFoundError(message=f"{exc.entity.capitalize()} not found.", id=strawberry.ID(exc.entity_id))
    if isinstance(exc, domain.PermissionDenied):
        return PermissionDeniedError(
            message=f"Missing permission {exc.permission}.", permission=exc.permission
        )
    if isinstance(exc, domain.VersionConflict):
        who = exc.changed_by or "someone else"
        return VersionConflictError(
            message=f"Changed by {who} after you read it; reload it and apply your change again.",
            id=strawberry.ID(exc.entity_id),
            current_version=exc.current_version,
            changed_by=exc.changed_by,
            changed_at=exc.changed_at,
        )
    raise exc


# -- errors for queries whose result is not a union -----------------------------------------------


class ClientError(GraphQLError):
    """A GraphQL error caused by the request (shown as is, never masked), with a stable ``code``."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def client_error(exc: domain.DomainError) -> ClientError:
    """A query argument problem (``first`` out of range, a bad cursor) or a missing permission."""
    if isinstance(exc, domain.ValidationFailed):
        fields = [{"path": field_path(e.field), "code": e.code, "message": e.message} for e in exc.errors]
        return ClientError("The arguments are not valid.", "BAD_USER_INPUT", fields=fields)
    if isinstance(exc, domain.PermissionDenied):
        return ClientError(f"Missing permission {exc.permission}.", "FORBIDDEN", permission=exc.permission)
    if isinstance(exc, domain.NotFound):
        return ClientError(f"{exc.entity.capitalize()} not found.", "NOT_FOUND", id=exc.entity_id)
    return ClientError(str(exc), exc.code.upper())


def filter_error(exc: domain.ValidationFailed) -> ClientError:
    """A list's bad ``filter`` argument, each field error's path under ``filter`` (a service names
    ``search``; the integrator sent ``filter.search``)."""
    return client_error(
        domain.ValidationFailed(
            [
                e
                if e.field.startswith("filter.")
                else domain.FieldError(f"filter.{e.field}", e.code, e.message)
                for e in exc.errors
            ]
        )
    )


def is_unexpected(error: GraphQLError) -> bool:
    """An exception nobody meant to show the client: masked in the response, reported to Sentry.

    Errors graphql-core makes itself (syntax, validation, a variable that does not coerce) and our
    ``ClientError`` are the client's to read.
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    # Variable coercion wraps the scalar's own complaint (a bad date); it carries no path.
    return not (error.path is None and error.message.startswith("Variable '$"))
