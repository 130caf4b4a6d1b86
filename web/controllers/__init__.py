"""Every admin route, collected for the app factory (and for the isolation suite's enumeration)."""

from web.controllers.audit import AuditController
from web.controllers.auth import AuthController
from web.controllers.customers import CustomersController
from web.controllers.exports import ExportsController
from web.controllers.home import HomeController
from web.controllers.imports import ImportsController
from web.controllers.operator import OperatorController
from web.controllers.signup import SignupController
from web.controllers.tokens import TokensController

ROUTES = [AuthController, HomeController]
ROUTES += [SignupController, OperatorController]
ROUTES += [CustomersController, AuditController, TokensController]
ROUTES += [ExportsController, ImportsController]

from web.controllers.security import SecurityController  # noqa: E402

ROUTES += [SecurityController]

from web.controllers.operator_pages import OperatorPagesController  # noqa: E402
from web.controllers.operator_tenants import OperatorTenantController  # noqa: E402
from web.controllers.support import SupportSessionController, SupportSettingsController  # noqa: E402
from web.controllers.verification import VerificationController  # noqa: E402

ROUTES += [OperatorTenantController, OperatorPagesController]
ROUTES += [VerificationController, SupportSettingsController, SupportSessionController]

import app.entities  # noqa: E402,F401  (every entity declared before the kit builds their routes)
from web.kit.children import child_controller  # noqa: E402

# Child entities' sections on their parent's page, built from their declarations.
ROUTES += [child_controller(spec.key) for spec in app.entities.entities() if spec.parent]

from web.controllers.custom_fields import CustomFieldsController, ListColumnsController  # noqa: E402

ROUTES += [CustomFieldsController, ListColumnsController]

from web.controllers.customer_stage import CustomerStageController  # noqa: E402
from web.controllers.workflows import WorkflowsController  # noqa: E402

ROUTES += [WorkflowsController, CustomerStageController]

from web.controllers.roles import RolesController  # noqa: E402

ROUTES += [RolesController]

from web.controllers.search import SearchController  # noqa: E402

ROUTES += [SearchController]

from web.controllers.notifications import NotificationsController  # noqa: E402
from web.controllers.work import WorkController  # noqa: E402

ROUTES += [WorkController, NotificationsController]

from web.controllers.staff import StaffController, TeamsController  # noqa: E402
from web.controllers.staff_links import StaffLinksController  # noqa: E402

ROUTES += [StaffController, TeamsController, StaffLinksController]

from web.controllers.customer360 import DuplicatesController, TimelineController  # noqa: E402

ROUTES += [TimelineController, DuplicatesController]

from web.controllers.inventory import CatalogController, InventoryController  # noqa: E402

ROUTES += [InventoryController, CatalogController]

from web.controllers.orders import OrdersController  # noqa: E402

ROUTES += [OrdersController]

from web.controllers.contracts import ContractsController  # noqa: E402
from web.controllers.opportunities import OpportunitiesController  # noqa: E402

ROUTES += [OpportunitiesController, ContractsController]

from web.controllers.leads import LeadFormController, LeadsController, PoolsController  # noqa: E402

ROUTES += [LeadsController, PoolsController, LeadFormController]

from web.controllers.price_lists import PriceListsController  # noqa: E402
from web.controllers.product_form import ProductFormController  # noqa: E402
from web.controllers.quotes import QuotesController  # noqa: E402

ROUTES += [QuotesController, PriceListsController, ProductFormController]

from web.controllers.privacy import PrivacyController, PrivacyPagesController  # noqa: E402

ROUTES += [PrivacyController, PrivacyPagesController]

from web.controllers.deliveries import DeliveriesController  # noqa: E402
from web.controllers.stocktake import StocktakeController  # noqa: E402

ROUTES += [DeliveriesController, StocktakeController]

from web.controllers.list_tools import BatchesController, SavedViewsController, TagsController  # noqa: E402

ROUTES += [SavedViewsController, BatchesController, TagsController]

from web.controllers.erp_settings import ErpSettingsController  # noqa: E402
from web.controllers.webhooks import WebhooksController  # noqa: E402

ROUTES += [WebhooksController, ErpSettingsController]

from web.controllers.tiers import TierSettingsController  # noqa: E402

ROUTES += [TierSettingsController]
