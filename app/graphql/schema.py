"""The strawberry schema: every area's queries and mutations, the protective extensions, error reporting."""

from __future__ import annotations

import logging

import sentry_sdk
import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.graphql.accounts import AccountQueries
from app.graphql.contacts import ContactMutations
from app.graphql.contract_attachments import ContractAttachmentQueries
from app.graphql.contract_notices import ContractNoticeMutations, ContractNoticeQueries
from app.graphql.custom_fields import CustomFieldMutations, CustomFieldQueries
from app.graphql.customer360 import Customer360Mutations, Customer360Queries
from app.graphql.customers import CustomerMutations, CustomerQueries
from app.graphql.errors import is_unexpected
from app.graphql.followups import FollowUpMutations, FollowUpQueries
from app.graphql.fulfilment import FulfilmentMutations, FulfilmentQueries
from app.graphql.imports import ImportMutations, ImportQueries
from app.graphql.inventory import InventoryMutations, InventoryQueries
from app.graphql.leads import LeadMutations, LeadQueries
from app.graphql.opportunities import OpportunityMutations, OpportunityQueries
from app.graphql.orders import OrderMutations, OrderQueries
from app.graphql.privacy import PrivacyMutations, PrivacyQueries
from app.graphql.protection import EXTENSIONS, QuietExecutor
from app.graphql.quotes import QuoteMutations, QuoteQueries
from app.graphql.roles import RoleMutations, RoleQueries
from app.graphql.search import SearchQueries
from app.graphql.staff import StaffMutations, StaffQueries
from app.graphql.tiers import TierMutations, TierQueries
from app.graphql.units import UnitQueries
from app.graphql.views import ListToolMutations, ListToolQueries
from app.graphql.workflows import WorkflowMutations, WorkflowQueries

log = logging.getLogger("dealercrm.graphql")


@strawberry.type
class Query(
    AccountQueries,
    CustomerQueries,
    RoleQueries,
    CustomFieldQueries,
    WorkflowQueries,
    FollowUpQueries,
    StaffQueries,
    SearchQueries,
    OrderQueries,
    QuoteQueries,
    InventoryQueries,
    FulfilmentQueries,
    Customer360Queries,
    PrivacyQueries,
    ImportQueries,
    LeadQueries,
    OpportunityQueries,
    ContractAttachmentQueries,
    ContractNoticeQueries,
    ListToolQueries,
    UnitQueries,
    TierQueries,
):
    pass


@strawberry.type
class Mutation(
    CustomerMutations,
    ContactMutations,
    RoleMutations,
    CustomFieldMutations,
    WorkflowMutations,
    FollowUpMutations,
    StaffMutations,
    OrderMutations,
    QuoteMutations,
    InventoryMutations,
    FulfilmentMutations,
    Customer360Mutations,
    PrivacyMutations,
    ImportMutations,
    LeadMutations,
    OpportunityMutations,
    ContractNoticeMutations,
    ListToolMutations,
    TierMutations,
):
    pass


class CrmSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Report unexpected exceptions once, with their real traceback (the client sees them masked).

        Errors the client caused (syntax, validation, bad arguments) are the client's to read, not ours
        to be paged about, so they are neither logged as errors nor sent to Sentry.
        """
        for error in errors:
            if is_unexpected(error):
                original = error.original_error
                assert original is not None
                sentry_sdk.capture_exception(original)
                log.error("graphql resolver failed at %s", error.path, exc_info=original)


schema = CrmSchema(
    query=Query,
    mutation=Mutation,
    extensions=EXTENSIONS,
    execution_context_class=QuietExecutor,
    config=StrawberryConfig(disable_field_suggestions=True),
)
