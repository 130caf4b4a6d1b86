"""Imports every entity declaration so the kit's registry is complete (like app.models for tables).

Shared modules that list entities (the audit page, labels, search, roles, custom fields) import
this once.
"""

from app.accounts import entity as _accounts  # noqa: F401
from app.addresses import service as _addresses  # noqa: F401
from app.catalog import service as _catalog  # noqa: F401
from app.contacts import service as _contacts  # noqa: F401
from app.customers import batches as _customer_batches  # noqa: F401
from app.customers import entity as _customers  # noqa: F401
from app.customers import home as _customer_home  # noqa: F401
from app.customers import imports as _customer_imports  # noqa: F401
from app.customers import search as _customer_search  # noqa: F401
from app.customers import tags as _customer_tags  # noqa: F401
from app.customers import views as _customer_views  # noqa: F401
from app.customfields import entity as _customfields  # noqa: F401
from app.deliveries import service as _deliveries  # noqa: F401
from app.erp import webhooks as _erp  # noqa: F401
from app.exports import entity as _exports  # noqa: F401
from app.followups import home as _followups_home  # noqa: F401
from app.followups import service as _followups  # noqa: F401
from app.inventory import service as _inventory  # noqa: F401
from app.kit.registry import entities, entity
from app.leads import imports as _lead_imports  # noqa: F401
from app.leads import pools as _pools  # noqa: F401
from app.leads import service as _leads  # noqa: F401
from app.opportunities import contracts as _contracts  # noqa: F401
from app.opportunities import home as _opportunities_home  # noqa: F401
from app.opportunities import service as _opportunities  # noqa: F401
from app.orders import payments as _orders  # noqa: F401
from app.pricing import service as _pricing  # noqa: F401
from app.privacy import entity as _privacy  # noqa: F401
from app.quotes import service as _quotes  # noqa: F401
from app.roles import entity as _roles  # noqa: F401
from app.saved_views import entity as _saved_views  # noqa: F401
from app.staff import entity as _staff  # noqa: F401
from app.stocktake import service as _stocktake  # noqa: F401
from app.tenant_settings import entity as _settings  # noqa: F401
from app.tiers import actions as _tiers  # noqa: F401
from app.timeline import notes as _notes  # noqa: F401
from app.units import service as _units  # noqa: F401
from app.workflows import entity as _workflows  # noqa: F401

__all__ = ["entities", "entity"]
