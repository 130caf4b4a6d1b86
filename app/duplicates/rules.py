"""What makes two customers likely the same (撞单): the customer's duplicate rules.

The mobile matches another customer's mobile, a contact's mobile or an address's phone; the e-mail
matches case-insensitively; a company's name matches another company's once legal-form words
(有限公司, 有限责任公司, 股份有限公司), brackets and spaces are ignored. Every lookup reads an index
(app.duplicates.models). The ID-number rule joins when that field exists (issue 9, item 5).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, literal, select, union

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


CUSTOMER_RULES = (MatchRule("mobile", _mobile), MatchRule("email", _email), MatchRule("name", _company))
