"""Slugs name tenants and their schemas; hosts name the tenant a request is for."""

from __future__ import annotations

import pytest

from tenancy.naming import InvalidSlug, schema_for, validate_slug
from tenancy.resolution import resolve_host


@pytest.mark.parametrize(
    ("slug", "code"),
    [
        ("", "required"),
        ("ab", "too_short"),
        ("a" * 31, "too_long"),
        ("Acme!", "malformed"),
        ("-abc", "malformed"),
        ("abc-", "malformed"),
        ("a--b", "malformed"),
        ("中文店", "malformed"),
        ("9lives", "malformed"),
        ("www", "reserved"),
        ("admin", "reserved"),
    ],
)
def test_bad_slugs_are_refused_with_a_reason(slug: str, code: str) -> None:
    with pytest.raises(InvalidSlug) as caught:
        validate_slug(slug)
    assert caught.value.code == code


def test_slug_is_normalised_and_maps_to_a_schema() -> None:
    assert validate_slug("  Gree-Shop ") == "gree-shop"
    assert schema_for("gree-shop") == "t_gree_shop"


@pytest.mark.parametrize(
    ("host", "slug", "known"),
    [
        ("localhost:8000", None, True),
        ("acme.localhost:8000", "acme", True),
        ("ACME.localhost", "acme", True),
        ("a.b.localhost", None, False),
        ("evil.example.com", None, False),
        ("localhost.evil.com", None, False),
        (None, None, False),
    ],
)
def test_host_resolution(host: str | None, slug: str | None, known: bool) -> None:
    target = resolve_host(host, "localhost")
    assert (target.slug, target.known_domain) == (slug, known)
