"""Parsed and validated GraphQL documents, cached across requests and bounded by entries and bytes.

The same few operations arrive again and again, so parsing and validating each text once pays.
strawberry's ParserCache and an ``lru_cache`` on validation were bounded by entries only: 40
distinct queries carrying a 4 MB comment kept 300 MB alive (the text, its Source and its AST, once
in each cache). Here one LRU holds, per query text, the document and its validation result, and
evicts by entry count and by an estimate of the bytes they hold: three times the text (the source
and the tokens' values each keep it, plus the allocator's share, measured with
bench/graphql_memory.py) and ~350 bytes per token for graphql-core's tokens and AST nodes
(measured with tracemalloc). Validation cannot outlive its document: it is stored with it.

Query texts larger than ``GRAPHQL_MAX_QUERY_BYTES`` never get here (the endpoint refuses them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.settings import get_settings

# What one token costs in memory once parsed (Token plus its share of the AST), measured.
BYTES_PER_TOKEN = 350
TEXT_COPIES = 3

Rules = tuple[type[ASTValidationRule], ...]


@dataclass
class CachedDocument:
    document: DocumentNode
    size: int
    validations: dict[Rules, list[GraphQLError]] = field(default_factory=dict)


def _token_count(document: DocumentNode) -> int:
    token = document.loc.start_token if document.loc else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentLRU:
    """Least recently used documents, at most ``max_entries`` of them and ``max_bytes`` in all."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Any, CachedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> CachedDocument | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: Any, entry: CachedDocument) -> None:
        if entry.size > self.max_bytes:
            return  # would evict everything else and still not fit: used once, not kept
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = entry
        self.bytes += entry.size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0


_cache: DocumentLRU | None = None


def document_cache() -> DocumentLRU:
    """The process's cache, sized from the settings on first use."""
    global _cache
    if _cache is None:
        settings = get_settings()
        _cache = DocumentLRU(settings.graphql_cache_entries, settings.graphql_cache_bytes)
    return _cache


class CachedDocuments(SchemaExtension):
    """Parse (strawberry's ParserCache) and validate (its ValidationCache) once per query text.

    Validation uses graphql-core's ``hide_suggestions``: no "Did you mean ...?" for unknown names.
    """

    def __init__(self) -> None:
        super().__init__()
        self._entry: CachedDocument | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        options = context.parse_options
        key = (context.query, tuple(sorted(options.items())))
        cache = document_cache()
        entry = cache.get(key)
        if entry is None:
            document = parse(context.query or "", **options)  # a syntax error propagates as usual
            # The text thrice: the Source keeps it, comment and string tokens keep their own copies
            # of its pieces (a 60 KB comment is a 60 KB token value), and a server's RSS measured
            # with bench/graphql_memory.py grows by about one more.
            size = TEXT_COPIES * len(context.query or "") + BYTES_PER_TOKEN * _token_count(document)
            entry = CachedDocument(document=document, size=size)
            cache.put(key, entry)
        self._entry = entry
        context.graphql_document = entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        rules: Rules = tuple(context.validation_rules)
        entry = self._entry
        if entry is None or entry.document is not context.graphql_document:
            entry = CachedDocument(document=context.graphql_document, size=0)
        errors = entry.validations.get(rules)
        if errors is None:
            errors = validate(
                context.schema._schema,
                context.graphql_document,
                (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
                hide_suggestions=True,
            )
            entry.validations[rules] = errors
        context.pre_execution_errors = errors
        yield
