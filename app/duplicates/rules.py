"""What makes two customers likely the same (撞单): the customer's duplicate rules.

The mobile matches another customer's mobile, a contact's mobile or an address's phone; the e-mail
matches case-insensitively; a company's name matches another company's once legal-form words
(有限公司, 有限责任公司, 股份有限公司), brackets and spaces are ignored. Every lookup reads an index
(app.duplicates.models). The ID-number rule joins when that field exists (issue 9, item 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, String, func, literal, select, union
from sqlalchemy.dialects.postgresql import ARRAY

from app.addresses.models import Address
from app.contacts.models import Contact
from app.customers.models import Customer
from app.duplicates.models import company_key
from app.kit.duplicates import MatchRule

_live = Customer.deleted_at.is_(None)


def _mobile(value: Any, _: Callable[[str], Any]) -> Select[Any]:
    own = select(Customer.id, Customer.owner_id).where(Customer.mobile == value, _live)
    contacts = (
        select(Customer.id, Customer.owner_id)
        .join(Contact, Contact.customer_id == Customer.id)
        .where(Contact.mobile == value, Contact.deleted_at.is_(None), _live)
    )
    addresses = (
        select(Customer.id, Customer.owner_id)
        .join(Address, Address.customer_id == Customer.id)
        .where(Address.phone == value, Address.deleted_at.is_(None), _live)
    )
    matched = union(own, contacts, addresses).subquery()
    return select(matched.c.id, matched.c.owner_id)


def _email(value: Any, _: Callable[[str], Any]) -> Select[*tuple[Any, ...]]:
    return select(Customer.id, Customer.owner_id).where(
        func.lower(Customer.email) == func.lower(literal(value)), Customer.email.is_not(None), _live
    )


def _company(value: Any, get: Callable[[str], Any]) -> Select[*tuple[Any, ...]] | None:
    if get("kind") != "company":
        return None
    return select(Customer.id, Customer.owner_id).where(
        Customer.kind == "company", company_key(Customer.name) == company_key(literal(value)), _live
    )


# Batched forms for an import's chunk (app.kit.duplicates.MatchCache): each value of the chunk is
# joined to the customers as the single rule matches it, so the same index is read per value.


def _values(values: list[Any]) -> Any:
    return func.unnest(literal(values, ARRAY(String))).table_valued("value").render_derived("v")


def _mobiles(values: list[Any]) -> Select[Any]:
    v = _values(values)
    own = (
        select(v.c.value, Customer.id, Customer.owner_id)
        .select_from(v)
        .join(Customer, (Customer.mobile == v.c.value) & _live)
    )
    contacts = (
        select(v.c.value, Customer.id, Customer.owner_id)
        .select_from(v)
        .join(Contact, (Contact.mobile == v.c.value) & Contact.deleted_at.is_(None))
        .join(Customer, (Customer.id == Contact.customer_id) & _live)
    )
    addresses = (
        select(v.c.value, Customer.id, Customer.owner_id)
        .select_from(v)
        .join(Address, (Address.phone == v.c.value) & Address.deleted_at.is_(None))
        .join(Customer, (Customer.id == Address.customer_id) & _live)
    )
    matched = union(own, contacts, addresses).subquery()
    return select(matched.c.value, matched.c.id, matched.c.owner_id)


def _emails(values: list[Any]) -> Select[Any]:
    v = _values(values)
    return (
        select(v.c.value, Customer.id, Customer.owner_id)
        .select_from(v)
        .join(
            Customer,
            (func.lower(Customer.email) == func.lower(v.c.value)) & Customer.email.is_not(None) & _live,
        )
    )


def _companies(values: list[Any]) -> Select[Any]:
    v = _values(values)
    return (
        select(v.c.value, Customer.id, Customer.owner_id)
        .select_from(v)
        .join(
            Customer,
            (Customer.kind == "company") & (company_key(Customer.name) == company_key(v.c.value)) & _live,
        )
    )


_COMPANY_WORDS = re.compile(r"有限责任公司|股份有限公司|有限公司|[\s()（）\[\]【】]")


def _company_key(value: Any, get: Callable[[str], Any]) -> str | None:
    """``company_key`` in Python, for the records of one chunk (the database's is the reference)."""
    return _COMPANY_WORDS.sub("", str(value).lower()) if get("kind") == "company" else None


CUSTOMER_RULES = (
    MatchRule("mobile", _mobile, many=_mobiles),
    MatchRule("email", _email, many=_emails, key=lambda value, _: str(value).lower()),
    MatchRule("name", _company, many=_companies, key=_company_key),
)
