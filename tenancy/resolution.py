"""Which tenant a request is for, from its Host header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostTarget:
    """``slug`` is None for the base domain (sign-up and the operators' console)."""

    slug: str | None
    known_domain: bool


def resolve_host(host: str | None, base_domain: str) -> HostTarget:
    """Split ``acme.localhost:8000`` into the tenant slug ``acme``.

    A host outside the base domain is not ours (``known_domain`` False); a host with more than one
    label before the base domain is refused the same way rather than guessed at.
    """
    hostname = (host or "").split(":", 1)[0].strip().lower().rstrip(".")
    base = base_domain.lower().strip(".")
    if hostname == base:
        return HostTarget(slug=None, known_domain=True)
    suffix = "." + base
    if hostname.endswith(suffix):
        label = hostname[: -len(suffix)]
        if label and "." not in label:
            return HostTarget(slug=label, known_domain=True)
    return HostTarget(slug=None, known_domain=False)
