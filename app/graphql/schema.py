"""The strawberry schema and its protective extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.types import Info

from app.graphql.context import GraphQLContext


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    role: str


@strawberry.type
class Query:
    @strawberry.field(description="The authenticated staff member.")
    def viewer(self, info: Info[GraphQLContext, None]) -> Viewer:
        actor = info.context.actor
        return Viewer(id=strawberry.ID(str(actor.user_id)), name=actor.name, email=actor.email, role=actor.role_key)


schema = strawberry.Schema(
    query=Query,
    extensions=[
        QueryDepthLimiter(max_depth=10),
        MaxAliasesLimiter(max_alias_count=30),
        MaxTokensLimiter(max_token_count=2000),
    ],
)
