"""The customer list as saved views see it (app.saved_views): its filter spec."""

from __future__ import annotations

from app.customers.entity import ENTITY
from app.customers.filters import CUSTOMER_FILTERS
from app.saved_views.service import declare_list

declare_list(ENTITY, filters=CUSTOMER_FILTERS)
