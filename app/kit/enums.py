"""Enumerations declared once: stored value, label msgid, order.

    class CustomerTier(LabeledEnum):
        NORMAL = "normal", N_("Normal")
        VIP = "vip", N_("VIP")

``CustomerTier.VIP == "vip"`` (a ``StrEnum``), ``CustomerTier.VIP.label`` is the msgid (translated
where shown), ``CustomerTier.values()`` the stored values in order, ``check_constraint(column)`` the
database check, and ``app.graphql`` makes the GraphQL enum from the same class.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint


def N_(message: str) -> str:
    """Mark a msgid for the catalog; it is translated where it is shown."""
    return message


class LabeledEnum(StrEnum):
    """A ``StrEnum`` whose members are declared as ``value, label_msgid``."""

    label: str

    def __new__(cls, value: str, label: str | None = None) -> LabeledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Stored value → label msgid, in declaration order."""
        return {m.value: m.label for m in cls}

    @classmethod
    def parse(cls, raw: Any) -> LabeledEnum | None:
        """The member for a stored value, or None when ``raw`` is not one."""
        try:
            return cls(raw)
        except ValueError:
            return None

    @classmethod
    def check_constraint(cls, column: str, name: str | None = None, nullable: bool = True) -> CheckConstraint:
        allowed = ", ".join(f"'{v}'" for v in cls.values())
        condition = f"{column} IN ({allowed})"
        if nullable:
            condition = f"{column} IS NULL OR {condition}"
        return CheckConstraint(condition, name=name or f"{column}_allowed")
