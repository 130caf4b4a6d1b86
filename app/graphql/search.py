"""The global search over GraphQL: what the admin's top bar and Ctrl-K palette find, for integrators
(a call-centre screen looking up a caller by phone fragment, say)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from app.domain import DomainError, FieldError, ValidationFailed
from app.graphql import kit
from app.graphql.context import GraphQLContext
from app.graphql.errors import client_error
from app.kit import search as global_search


@strawberry.type(description="One record found by the global search.")
class SearchHit:
    id: strawberry.ID
    title: str = strawberry.field(description="How the record is named (a customer's name).")
    subtitle: str = strawberry.field(description="What the admin shows under the title (mobile, city).")
    url: str | None = strawberry.field(description="The record's page in the admin, relative to the host.")


@strawberry.type(description="The records of one entity found by the global search.")
class SearchGroup:
    entity: str = strawberry.field(description='The entity\'s key ("customer", "contact", ...).')
    hits: list[SearchHit]


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description=(
            "Every entity the caller may read, searched by name, phone fragment, pinyin or initials, "
            "in the caller's data scope; groups without hits are left out. At most 100 characters, "
            f"no control characters; `first` (1-{global_search.MAX_PER_ENTITY}) hits per entity."
        )
    )
    async def search(
        self, info: Info[GraphQLContext, None], query: str, first: int = global_search.DEFAULT_PER_ENTITY
    ) -> list[SearchGroup]:
        if not 1 <= first <= global_search.MAX_PER_ENTITY:
            raise client_error(_bad_first(f"must be between 1 and {global_search.MAX_PER_ENTITY}")) from None
        groups = await kit.query(info, lambda s, a: global_search.search(s, a, query, per_entity=first))
        return [
            SearchGroup(
                entity=group.entity,
                hits=[
                    SearchHit(id=strawberry.ID(h.id), title=h.title, subtitle=h.subtitle, url=h.url)
                    for h in group.hits
                ],
            )
            for group in groups
        ]


def _bad_first(message: str) -> DomainError:
    return ValidationFailed([FieldError("first", "out_of_range", message)])
