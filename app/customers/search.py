"""Customers in the global search (top bar and Ctrl-K palette): name, phone fragment, pinyin and
initials, through the customer's search grams, with the customer list's scope."""

from __future__ import annotations

from app.customers import service as _service  # noqa: F401  (the kit finds CustomerService through it)
from app.customers.entity import ENTITY
from app.kit.search import SearchSource, register_search

SEARCH = register_search(
    SearchSource(ENTITY, columns=("name", "mobile"), subtitle=("mobile", "city"), order=10)
)
