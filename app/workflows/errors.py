"""Why a move or a workflow edit was refused. Resolvers and controllers turn these into typed
GraphQL errors and inline messages; each names what the person needs to know to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import DomainError, FieldError, ValidationFailed
from app.i18n import gettext as _
from app.i18n import locale_var
from app.kit.registry import entity as entity_spec
from app.workflows.definition import State


class NotAllowedTransition(DomainError):
    """The workflow has no move from the record's state to the requested one."""

    code = "not_allowed_transition"

    def __init__(
        self,
        entity: str,
        source: State | None,
        target: str,
        allowed: tuple[State, ...],
        target_state: State | None = None,
    ) -> None:
        names = ", ".join(s.key for s in allowed) or "none"
        super().__init__(
            f"{entity}: no move from {source.key if source else '?'} to {target}; allowed: {names}"
        )
        self.entity = entity
        self.source = source
        self.target = target
        self.target_state = target_state
        self.allowed = allowed


@dataclass(frozen=True)
class GuardFailure:
    """One guard the record or the actor does not meet."""

    kind: str  # required | role | condition
    field: str | None = None  # the missing field, or the field of the condition
    role: str | None = None  # the role needed
    permission: str | None = None  # or the permission needed
    condition: str | None = None  # "amount > 50000"

    def describe(self) -> str:
        if self.kind == "required":
            return f"{self.field} is required"
        if self.kind == "role":
            return f"needs the role {self.role}" if self.role else f"needs the permission {self.permission}"
        return f"needs {self.condition}"


class GuardFailed(DomainError):
    """The move exists but a guard refuses it; every failing guard is listed."""

    code = "guard_failed"

    def __init__(self, entity: str, source: str, target: str, failures: tuple[GuardFailure, ...]) -> None:
        super().__init__(
            f"{entity}: {source} → {target} refused: " + "; ".join(f.describe() for f in failures)
        )
        self.entity = entity
        self.source = source
        self.target = target
        self.failures = failures


class StatesInUse(ValidationFailed):
    """A workflow edit would remove states that records are still in."""

    code = "states_in_use"

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        total = sum(counts.values())
        detail = ", ".join(f"{n} in {key}" for key, n in counts.items())
        super().__init__(
            [
                FieldError(
                    "states",
                    "states_in_use",
                    f"{total} records would be stranded ({detail}); move them first",
                )
            ]
        )


def field_name(entity: str, field: str | None) -> str:
    """A field's label in the reader's language (built-in fields), else its key (custom fields)."""
    spec = entity_spec(entity)
    if spec is not None and field in spec.fields:
        return _(spec.fields[field])
    return field or ""


def failure_text(entity: str, failure: GuardFailure) -> str:
    if failure.kind == "required":
        return _("%(field)s must be filled in first") % {"field": field_name(entity, failure.field)}
    if failure.kind == "role":
        if failure.role:
            return _("only the role %(role)s may make this move") % {"role": failure.role}
        return _("needs the permission %(permission)s") % {"permission": failure.permission}
    return _("needs %(condition)s") % {"condition": failure.condition}


def refusal_text(exc: NotAllowedTransition | GuardFailed) -> str:
    """Why a move was refused, for people, in their language."""
    locale = locale_var.get()
    if isinstance(exc, NotAllowedTransition):
        allowed = "、".join(s.label_in(locale) for s in exc.allowed) or _("no moves")
        return _("Cannot move from %(source)s to %(target)s. Allowed moves: %(allowed)s.") % {
            "source": exc.source.label_in(locale) if exc.source else "—",
            "target": exc.target_state.label_in(locale) if exc.target_state else exc.target,
            "allowed": allowed,
        }
    return _("This move is not possible yet: %(reasons)s.") % {
        "reasons": "; ".join(failure_text(exc.entity, f) for f in exc.failures)
    }
