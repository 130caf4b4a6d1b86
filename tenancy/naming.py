"""Tenant slugs and the schema names derived from them."""

from __future__ import annotations

import re

SLUG_MIN, SLUG_MAX = 3, 30
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]\Z")
SLUG_CHARS_RE = re.compile(r"^[a-z0-9-]+\Z")

# Hosts we serve ourselves, or that a customer could use to impersonate us.
RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "app",
        "admin",
        "administrator",
        "platform",
        "console",
        "operator",
        "ops",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "static",
        "assets",
        "cdn",
        "media",
        "files",
        "status",
        "help",
        "support",
        "docs",
        "blog",
        "billing",
        "auth",
        "login",
        "signup",
        "register",
        "account",
        "accounts",
        "dashboard",
        "graphql",
        "public",
        "system",
        "root",
        "test",
        "demo-template",
        "template",
        "postgres",
        "information-schema",
        "pg-catalog",
        "dealercrm",
        "internal",
        "metrics",
        "healthz",
        "readyz",
    }
)


class InvalidSlug(ValueError):
    """The slug cannot name a tenant; ``code`` says why, for a translated message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def validate_slug(slug: str) -> str:
    """Return the normalised slug or raise ``InvalidSlug`` with a reason code."""
    slug = (slug or "").strip().lower()
    if not slug:
        raise InvalidSlug("required")
    # Characters first: "中文" is malformed, not merely too short.
    if not SLUG_CHARS_RE.match(slug):
        raise InvalidSlug("malformed")
    if len(slug) > SLUG_MAX:
        raise InvalidSlug("too_long")
    if len(slug) < SLUG_MIN:
        raise InvalidSlug("too_short")
    if not SLUG_RE.match(slug) or "--" in slug:
        raise InvalidSlug("malformed")
    if slug in RESERVED_SLUGS:
        raise InvalidSlug("reserved")
    return slug


def schema_for(slug: str) -> str:
    """The PostgreSQL schema holding a tenant's data: ``t_`` plus the slug, hyphens as underscores."""
    return "t_" + slug.replace("-", "_")
