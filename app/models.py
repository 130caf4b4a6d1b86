"""Imports every model so each metadata is complete (migrations, provisioning)."""

from app.accounts import models as _accounts  # noqa: F401
from app.addresses import models as _addresses  # noqa: F401
from app.audit import models as _audit  # noqa: F401
from app.backups import models as _backups  # noqa: F401
from app.batches import models as _batches  # noqa: F401
from app.catalog import models as _catalog  # noqa: F401
from app.contacts import models as _contacts  # noqa: F401
from app.customers import models as _customers  # noqa: F401
from app.customfields import models as _customfields  # noqa: F401
from app.db import PlatformBase, TenantBase
from app.deliveries import models as _deliveries  # noqa: F401
from app.duplicates import models as _duplicates  # noqa: F401
from app.erp import models as _erp  # noqa: F401
from app.events import models as _events  # noqa: F401
from app.exports import models as _exports  # noqa: F401
from app.followups import models as _followups  # noqa: F401
from app.idempotency import models as _idempotency  # noqa: F401
from app.inventory import models as _inventory  # noqa: F401
from app.kit.imports import models as _imports  # noqa: F401
from app.leads import models as _leads  # noqa: F401
from app.notifications import customers as _customer_messages  # noqa: F401
from app.notifications import models as _notifications  # noqa: F401
from app.opportunities import models as _opportunities  # noqa: F401
from app.orders import models as _orders  # noqa: F401
from app.platform import models as _platform  # noqa: F401
from app.pricing import models as _pricing  # noqa: F401
from app.privacy import models as _privacy  # noqa: F401
from app.quotes import models as _quotes  # noqa: F401
from app.saved_views import models as _saved_views  # noqa: F401
from app.staff import models as _staff  # noqa: F401
from app.stocktake import models as _stocktake  # noqa: F401
from app.tenant_settings import models as _tenant_settings  # noqa: F401
from app.tiers import models as _tiers  # noqa: F401
from app.timeline import models as _timeline  # noqa: F401
from app.units import models as _units  # noqa: F401
from app.workflows import models as _workflows  # noqa: F401

tenant_metadata = TenantBase.metadata
platform_metadata = PlatformBase.metadata
