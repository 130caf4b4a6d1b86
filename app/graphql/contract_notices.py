"""The tenant's contract notice periods through the API (``app.opportunities.expiry``): read them
(contracts:read) and set them (settings:manage), with the same checks and messages as the admin."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app.domain import PermissionDenied
from app.graphql.context import GraphQLContext
from app.graphql.errors import PermissionDeniedError, ValidationError
from app.graphql.kit import mutate, query
from app.opportunities import expiry
from app.opportunities.entity import CONTRACTS_READ


@strawberry.type(description="The contract notice periods: each is one reminder to the contract's owner.")
class ContractNoticeSettings:
    notice_days: list[int] = strawberry.field(
        description="Days before a contract's end its owner is told, longest first (30 and 7 unless changed)."
    )


_Errors = ValidationError | PermissionDeniedError
ContractNoticeResult = Annotated[ContractNoticeSettings | _Errors, strawberry.union("ContractNoticeResult")]


@strawberry.type
class ContractNoticeQueries:
    @strawberry.field(description="The tenant's contract notice periods (needs contracts:read).")
    async def contract_notice_settings(self, info: Info[GraphQLContext, None]) -> ContractNoticeSettings:
        async def load(session, actor):  # type: ignore[no-untyped-def]
            if not actor.can(CONTRACTS_READ):
                raise PermissionDenied(CONTRACTS_READ)
            return await expiry.notice_days(session)

        return ContractNoticeSettings(notice_days=list(await query(info, load)))


@strawberry.type
class ContractNoticeMutations:
    @strawberry.mutation(
        description="Set the contract notice periods: one to three distinct numbers of days from 1 to 365, "
        "each told once per contract and end date (a changed end date is told afresh). Needs settings:manage."
    )
    async def set_contract_notice_days(
        self, info: Info[GraphQLContext, None], notice_days: list[int]
    ) -> ContractNoticeResult:
        result = await mutate(
            info,
            lambda s, a: expiry.set_notice_days(s, a, notice_days),
            lambda days: ContractNoticeSettings(notice_days=list(days)),
            input_prefix=(),
        )
        return result  # type: ignore[no-any-return]
