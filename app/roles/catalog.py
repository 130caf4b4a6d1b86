"""The permission catalog as the role editor shows it: modules down, actions across.

Entities register their module next to their model (``app/<area>/entity.py``, all imported by
``app.entities``) and the staff-side modules are registered in ``app.accounts.permissions``.
"""

from __future__ import annotations

from app import entities as _entities  # noqa: F401  (every entity's module registered)
from app.accounts import permissions as _staff_modules  # noqa: F401  (registers audit, staff, roles...)
from app.kit.permissions import ACTIONS, Module, is_known, modules
from app.kit.registry import entities


def load() -> tuple[Module, ...]:
    """Every registered module: the business entities' modules first (in navigation order), then the
    staff-side ones as registered."""
    rank: dict[str, int] = {}
    for spec in entities():
        rank[spec.module] = min(rank.get(spec.module, 1000), spec.nav.order if spec.nav else 1000)
    found = modules()
    return tuple(sorted(found, key=lambda m: (m.key not in rank, rank.get(m.key, 0), found.index(m))))


def columns() -> tuple[str, ...]:
    """The actions any module offers, in the matrix's column order."""
    offered = {a for m in load() for a in m.actions}
    return tuple(a for a in ACTIONS if a in offered)


def unknown(permissions: list[str] | tuple[str, ...]) -> list[str]:
    """The strings that name no permission of the catalog, in the order given."""
    load()
    return [p for p in permissions if not is_known(p)]


def ordered(permissions: set[str] | frozenset[str] | list[str]) -> list[str]:
    """Permissions in catalog order (module, then action): stable for storage, audit and display."""
    wanted = set(permissions)
    return [p for m in load() for p in m.permissions() if p in wanted]
