"""What a form or a GraphQL mutation supplies for a customer.

The rules live with the declared fields (``app.customers.service.CustomerService.fields``, on the
kit's field types); this is only the input's shape, where an absent field is ``UNSET``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.kit.fields import EMAIL_RE, UNSET

__all__ = ["EMAIL_RE", "UNSET", "CustomerInput"]


@dataclass
class CustomerInput:
    """What a form or a GraphQL mutation supplies. ``UNSET`` means "leave as it is" (updates)."""

    name: Any = UNSET
    kind: Any = UNSET
    gender: Any = UNSET
    mobile: Any = UNSET
    email: Any = UNSET
    province: Any = UNSET
    city: Any = UNSET
    district: Any = UNSET
    address_detail: Any = UNSET
    source: Any = UNSET
    status: Any = UNSET
    tier: Any = UNSET
    owner_id: Any = UNSET
    birthday: Any = UNSET
    notes: Any = UNSET
    tags: Any = UNSET
    # Custom-field values by key (checked by app.customfields against the tenant's definitions).
    custom: Any = UNSET

    def supplied(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not UNSET}
