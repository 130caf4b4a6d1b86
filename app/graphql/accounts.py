"""Who is calling."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.graphql.context import GraphQLContext
from app.graphql.types.accounts import Viewer


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The authenticated staff member.")
    def viewer(self, info: Info[GraphQLContext, None]) -> Viewer:
        return Viewer.from_actor(info.context.actor)
