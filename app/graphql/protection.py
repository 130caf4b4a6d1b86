"""What stands between a hostile or careless client and the server.

- depth, alias and token limits (strawberry's own limiters);
- no field or enum suggestions ("Did you mean ...?") in validation or variable errors: graphql-core
  3.3 can hide them (``hide_suggestions``), strawberry does not ask it to, so validation and the
  executor are set up here;
- unexpected exceptions masked as "Unexpected error." (typed unions still carry business errors);
- parsing and validation cached across requests (the same few operations arrive again and again),
  bounded by entries and bytes (``document_cache``); the query text itself is capped at the endpoint;
- NUL bytes and lone surrogates in variables or literals refused before execution (``poisoned_text``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.graphql.document_cache import CachedDocuments
from app.graphql.errors import is_unexpected
from app.graphql.poisoned_text import RefusePoisonedText
from app.graphql.rate_limit import ObjectRateLimit

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000

# The limiters' rule classes, built once: validation results are cached per (document, rules), so
# fresh rule classes per request (what the limiters' constructors make) would never hit the cache.
_LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
)


class QueryLimits(AddValidationRules):
    """strawberry's QueryDepthLimiter and MaxAliasesLimiter rules."""

    def __init__(self) -> None:
        super().__init__(list(_LIMIT_RULES))


class QuietExecutor(StrawberryGraphQLCoreExecutionContext):
    """Variables that do not coerce (an unknown enum value) are refused without suggestions."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        kwargs["hide_suggestions"] = True
        return super().build(*args, **kwargs)


def masked_errors() -> MaskErrors:
    return MaskErrors(should_mask_error=is_unexpected, error_message="Unexpected error.")


EXTENSIONS: list[Callable[[], SchemaExtension]] = [
    lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    RefusePoisonedText,
    ObjectRateLimit,
    CachedDocuments,
    QueryLimits,
    masked_errors,
]
