"""Isolation cases of the contract notice periods in the API: A reading or setting its periods with
its own token never reads or changes B's (B keeps the default 30 and 7 days)."""

from __future__ import annotations

from typing import Any

from isolation_world import GraphQLCase, World

from app.opportunities import expiry

ROUTE_CASES: dict[tuple[str, str], Any] = {}

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "contractNoticeSettings": ("query { contractNoticeSettings { noticeDays } }", lambda w: {}),
    "setContractNoticeDays": (
        "mutation { setContractNoticeDays(noticeDays: [3]) { __typename } }",
        lambda w: {},
    ),
}


async def untouched(session: Any, world: World) -> list[str]:
    if await expiry.notice_days(session) != expiry.DEFAULT_NOTICE_DAYS:
        return ["B's contract notice periods changed"]
    return []
