"""JSON logs carrying request id and tenant; Sentry with tenant tags and personal data scrubbed."""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
tenant_var: ContextVar[str | None] = ContextVar("tenant", default=None)
user_var: ContextVar[str | None] = ContextVar("user", default=None)

# Mainland mobiles, ID-card numbers and emails never leave the process in an error report.
_PII_PATTERNS = (
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), "[mobile]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[id-number]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[email]"),
)


def scrub_text(text: str) -> str:
    for pattern, replacement in _PII_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub_text(record.getMessage()),
            "request_id": request_id_var.get(),
            "tenant": tenant_var.get(),
        }
        for key in ("method", "path", "status", "ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True  # we log requests ourselves, with ids


def _is_graphql_response_error(hint: dict[str, Any]) -> bool:
    """sentry's strawberry integration reports every error of a GraphQL response: the client's own
    mistakes (validation, bad arguments) and masked failures, which app.graphql.schema already
    reported with their real traceback. Neither is worth an event of its own."""
    exc_info = hint.get("exc_info")
    if not exc_info:
        return False
    try:
        from graphql import GraphQLError
    except ImportError:  # pragma: no cover - graphql-core is a dependency
        return False
    return isinstance(exc_info[1], GraphQLError)


def _before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
    if _is_graphql_response_error(hint):
        return None
    event = scrub(event)
    tags = event.setdefault("tags", {})
    if tenant_var.get():
        tags["tenant"] = tenant_var.get()
    if request_id_var.get():
        tags["request_id"] = request_id_var.get()
    return event


def init_sentry(dsn: str | None, environment: str, transport: Any = None) -> bool:
    """Start sentry-sdk when a DSN is configured. ``transport`` lets a test capture envelopes."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.litestar import LitestarIntegration
    from sentry_sdk.integrations.strawberry import StrawberryIntegration

    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        "before_send": _before_send,
        "integrations": [LitestarIntegration(), StrawberryIntegration(async_execution=True)],
        "traces_sample_rate": 0.0,
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True
