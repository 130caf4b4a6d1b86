"""What the security tests share: the example operations integrators copy, and a list query."""

from __future__ import annotations

from pathlib import Path

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def operation(name: str) -> str:
    """The text of ``graphql/operations/<name>.graphql`` (the tests send what integrators copy)."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


LIST_IDS = """
query Ids($first: Int!, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name } }
  }
}
"""
