"""The ERP connector (issue #10 item 7): per tenant, a switch and settings; each run pulls products
and stock levels changed since the last run and pushes the orders changed since, and writes one
sync-log row.

Where the ERP is: an HTTP JSON API (``mode = "http"``) or a folder of CSV files (``"csv"``).

- HTTP: ``GET {base_url}/products?updated_since=<cursor>`` and ``GET {base_url}/stock?updated_since=``
  answer a JSON list of rows, or ``{"items": [...], "cursor": "...", "has_more": false}`` (the
  connector follows ``has_more`` with the new cursor). Without a ``cursor`` in the answer, the
  largest ``updated_at`` of the rows is the next one. ``POST {base_url}/orders`` takes
  ``{"orders": [...]}``, at most 100 a request. A bearer token is sent when one is set.
- CSV: ``products*.csv`` and ``stock*.csv`` (UTF-8, a header row) modified since the last run, in
  the order they were written. Orders changed since the last push are written to the outbound
  folder (when one is set) as ``orders-<last change>-<id>.csv``: UTF-8 with a BOM (spreadsheet
  programs read the Chinese headers right), one row per order line, at most ``ORDERS_PER_FILE``
  orders a file; each file is written to a hidden temporary name and renamed into place, so the ERP
  never sees half a file, and the push cursor moves only after the rename (a run that stops in
  between writes the same file again, under the same name). Nothing changed: no file.

Field mappings (JSON objects, ERP field → ours) rename a row's fields before it reaches the existing
idempotent upserts (``app.erp.upserts``): products take ``external_id`` and the catalog's fields,
stock rows ``product_external_id``, ``warehouse_code`` and ``on_hand``; ``updated_at`` feeds the
cursor. The order mapping (CSV header → ``ORDER_FIELDS``) picks and names the order file's columns
(in the fields' order); without one, every field under its default Chinese header. A row the upserts refuse
is logged with its errors and the rest go through; the same rows again change nothing. A request
that times out or answers 5xx is retried with backoff; when the retries run out the run is recorded
as failed and everyone who manages integrations is notified.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from arq.connections import ArqRedis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app import crypto
from app.audit import service as audit
from app.db import Database
from app.domain import Actor, FieldError, PermissionDenied, ValidationFailed
from app.erp import sync_repository as repo
from app.erp.entity import INTEGRATIONS_MANAGE
from app.erp.models import ErpConnector, ErpSyncRun
from app.erp.upserts import MAX_ROWS, PRODUCT_FIELDS, RowOutcome, upsert_products, upsert_stock_levels
from app.erp.webhooks import check_url
from app.kit.enums import N_
from app.kit.fields import Errors, Flag, Text
from app.notifications.kinds import IN_APP, Kind, register_kind
from app.notifications.service import notify
from app.runtime import QUEUE_NAME

TOKEN_PURPOSE = "erp-connector-token"
SYNC_JOB = "sync_erp_now"
PRODUCT_TARGETS = ("external_id", *PRODUCT_FIELDS, "updated_at")
STOCK_TARGETS = ("product_external_id", "warehouse_code", "on_hand", "updated_at")
ORDERS_PER_POST = 100
ORDERS_PER_FILE = 1000
# An order file's fields (one row per order line) and their headers when no mapping is set.
ORDER_FIELDS: dict[str, str] = {
    "number": "订单号",
    "status": "状态",
    "customer_name": "客户",
    "customer_mobile": "手机",
    "total": "订单金额",
    "paid": "已收款",
    "invoice_type": "发票类型",
    "invoice_title": "发票抬头",
    "invoice_tax_no": "税号",
    "created_at": "下单时间",
    "updated_at": "更新时间",
    "line_no": "行号",
    "line_kind": "行类型",
    "sku": "商品编码",
    "description": "商品名称",
    "quantity": "数量",
    "unit_price": "单价",
    "discount": "折扣",
    "amount": "金额",
    "serial_numbers": "序列号",
}
MAX_PAGES = 1000
MAX_LOGGED_ERRORS = 200

SYNC_FAILED = register_kind(
    Kind("erp.sync_failed", N_("The ERP sync failed"), module="integrations", channels=(IN_APP,))
)

# The system pulling from the ERP: catalog and stock writes, orders read; audit names no person.
SYSTEM = Actor(
    user_id=uuid.UUID(int=0),
    name="ERP 同步",
    email="system",
    role_key="system",
    permissions=frozenset(
        {
            "catalog:read",
            "catalog:create",
            "catalog:edit",
            "inventory:read",
            "inventory:create",
            "inventory:manage",
            "orders:read",
        }
    ),
    data_scope="all",
    via="system",
)


@dataclass(frozen=True)
class Retry:
    """Each request: ``attempts`` tries, waiting ``first_delay`` seconds, then twice as long..."""

    attempts: int = 4
    first_delay: float = 2.0
    timeout: float = 20.0


class ErpUnavailable(Exception):
    """The ERP did not answer usably after the retries (or refused the request outright)."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


@dataclass
class Tally:
    products: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    stock: dict[str, int] = field(default_factory=lambda: {"updated": 0, "unchanged": 0})
    orders_pushed: int = 0
    files: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0


# -- settings ----------------------------------------------------------------------------------------


def _mapping(errors: Errors, name: str, raw: Any, targets: Sequence[str]) -> dict[str, str]:
    """A field mapping from JSON text or an object: ERP field → one of ``targets``."""
    if raw in (None, ""):
        return {}
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            errors.add(name, "invalid_json", "must be a JSON object")
            return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        errors.add(name, "invalid_mapping", "must map ERP field names to field names")
        return {}
    unknown = sorted(v for v in value.values() if v not in targets)
    if unknown:
        errors.add(name, "unknown_target", f"unknown fields: {', '.join(unknown)}")
        return {}
    return dict(value)


class ConnectorService:
    """The settings page's verbs and the sync log, for holders of ``integrations:manage``."""

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        self.session = session
        self.actor = actor

    def require(self) -> None:
        if not self.actor.can(INTEGRATIONS_MANAGE):
            raise PermissionDenied(INTEGRATIONS_MANAGE)

    async def settings(self) -> ErpConnector:
        """The tenant's connector (an unsaved, switched-off one until it is first saved)."""
        self.require()
        found = await repo.connector(self.session)
        return found or ErpConnector(
            id=1, enabled=False, mode="http", product_mapping={}, stock_mapping={}, order_mapping={}
        )

    async def save(self, raw: Mapping[str, Any]) -> ErpConnector:
        """Check and store the settings: every bad field at once; a blank token keeps the saved one."""
        self.require()
        try:
            errors = Errors()
            enabled = Flag().clean(errors, "enabled", raw.get("enabled"))
            mode = str(raw.get("mode") or "http")
            if mode not in ("http", "csv"):
                errors.add("mode", "invalid_choice", "must be http or csv")
            base_url = Text(max_length=500).clean(errors, "base_url", raw.get("base_url"))
            token = Text(max_length=200).clean(errors, "token", raw.get("token"))
            folder = Text(max_length=500).clean(errors, "csv_folder", raw.get("csv_folder"))
            outbound = Text(max_length=500).clean(errors, "outbound_folder", raw.get("outbound_folder"))
            orders = _mapping(errors, "order_mapping", raw.get("order_mapping"), tuple(ORDER_FIELDS))
            products = _mapping(errors, "product_mapping", raw.get("product_mapping"), PRODUCT_TARGETS)
            stock = _mapping(errors, "stock_mapping", raw.get("stock_mapping"), STOCK_TARGETS)
            if base_url:
                found = Errors()
                await check_url(found, base_url)
                errors.items.extend(FieldError("base_url", e.code, e.message) for e in found.items)
            if enabled and mode == "http" and not base_url:
                errors.add("base_url", "required", "is required to reach the ERP")
            if enabled and mode == "csv" and not folder:
                errors.add("csv_folder", "required", "is required to read CSV files")
            for name, path in (("csv_folder", folder), ("outbound_folder", outbound)):
                if path and not Path(path).is_absolute():
                    errors.add(name, "not_absolute", "must be an absolute path")
            errors.raise_if_any()
            record = await repo.connector(self.session, for_update=True)
            before = _snapshot(record) if record else None
            if record is None:
                record = ErpConnector(id=1)
                self.session.add(record)
            record.enabled, record.mode = bool(enabled), mode
            record.base_url, record.csv_folder = base_url, folder
            record.outbound_folder, record.order_mapping = outbound, orders
            if token:
                record.token = crypto.seal(token, TOKEN_PURPOSE)
            if raw.get("clear_token"):
                record.token = None
            record.product_mapping, record.stock_mapping = products, stock
            if raw.get("reset_cursors"):
                record.products_cursor = record.stock_cursor = record.orders_cursor = None
            record.updated_at, record.updated_by = datetime.now(UTC), self.actor.user_id
            await self.session.flush()
            audit.record(
                self.session,
                self.actor,
                entity="erp_connector",
                entity_id=1,
                action="update" if before else "create",
                before=before,
                after=_snapshot(record),
            )
            await self.session.commit()
            return record
        except BaseException:
            await self.session.rollback()
            raise

    async def runs(self, first: int = 30) -> list[ErpSyncRun]:
        self.require()
        if not 1 <= first <= 100:
            raise ValidationFailed([FieldError("first", "out_of_range", "must be between 1 and 100")])
        return await repo.runs(self.session, first)


def _snapshot(record: ErpConnector) -> dict[str, Any]:
    return {
        "enabled": record.enabled,
        "mode": record.mode,
        "base_url": record.base_url,
        "token": "set" if record.token else None,  # never the token itself
        "csv_folder": record.csv_folder,
        "product_mapping": dict(record.product_mapping or {}),
        "stock_mapping": dict(record.stock_mapping or {}),
        "outbound_folder": record.outbound_folder,
        "order_mapping": dict(record.order_mapping or {}),
    }


# -- a run -------------------------------------------------------------------------------------------


def apply_mapping(row: Any, mapping: Mapping[str, str]) -> dict[str, Any] | None:
    """The row with its ERP fields renamed to ours (no mapping: taken as it is); None: not an object."""
    if not isinstance(row, dict):
        return None
    if not mapping:
        return dict(row)
    return {ours: row[theirs] for theirs, ours in mapping.items() if theirs in row}


class HttpErp:
    """The ERP's HTTP JSON API, each request retried with backoff on timeouts and 5xx."""

    def __init__(self, connector: ErpConnector, retry: Retry, tally: Tally) -> None:
        self.base = (connector.base_url or "").rstrip("/")
        self.retry = retry
        self.tally = tally
        headers = {"Accept": "application/json", "User-Agent": "DealerCRM-ERP-connector"}
        if connector.token:
            headers["Authorization"] = f"Bearer {crypto.unseal(connector.token, TOKEN_PURPOSE)}"
        self.client = httpx.AsyncClient(headers=headers, timeout=retry.timeout, follow_redirects=False)

    async def close(self) -> None:
        await self.client.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        delay = self.retry.first_delay
        problem = ""
        for attempt in range(1, self.retry.attempts + 1):
            self.tally.attempts = max(self.tally.attempts, attempt)
            try:
                answer = await self.client.request(method, f"{self.base}{path}", **kwargs)
            except httpx.TimeoutException:
                problem = f"{method} {path}: timed out"
            except httpx.TransportError as exc:
                problem = f"{method} {path}: {type(exc).__name__}"
            else:
                if answer.status_code < 300:
                    return answer
                problem = f"{method} {path}: HTTP {answer.status_code}"
                if answer.status_code < 500:
                    raise ErpUnavailable(problem, attempt)  # a refusal: retrying will not help
            if attempt < self.retry.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        raise ErpUnavailable(f"{problem} (after {self.retry.attempts} attempts)", self.retry.attempts)

    async def pull(self, what: str, cursor: str | None) -> tuple[list[Any], str | None]:
        """Every row of ``what`` changed since ``cursor``, and the cursor after them."""
        rows: list[Any] = []
        for _ in range(MAX_PAGES):
            params = {"updated_since": cursor} if cursor else {}
            answer = await self._request("GET", f"/{what}", params=params)
            try:
                body = answer.json()
            except ValueError as exc:
                raise ErpUnavailable(f"GET /{what}: the answer is not JSON", 1) from exc
            items = body if isinstance(body, list) else body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ErpUnavailable(f"GET /{what}: the answer has no list of items", 1)
            rows.extend(items)
            given = body.get("cursor") if isinstance(body, dict) else None
            if not (given and isinstance(body, dict) and body.get("has_more") and items):
                return rows, str(given) if given else None
            cursor = str(given)
        return rows, cursor

    async def push_orders(self, orders: list[dict[str, Any]]) -> None:
        await self._request("POST", "/orders", json={"orders": orders})


def _latest(stamps: Sequence[str], cursor: str | None) -> str | None:
    return max([*stamps, *([cursor] if cursor else [])], default=None)


def _csv_pull(folder: str, prefix: str, cursor: str | None) -> tuple[list[Any], str | None]:
    """Rows of the folder's ``<prefix>*.csv`` files written after ``cursor`` (a modification time)."""
    base = Path(folder)
    if not base.is_dir():
        raise ErpUnavailable(f"{folder}: not a folder", 1)
    files = sorted(
        ((p.stat().st_mtime, p) for p in base.glob(f"{prefix}*.csv")),
        key=lambda pair: (pair[0], pair[1].name),
    )
    since = float(cursor) if cursor else None
    rows: list[Any] = []
    latest = cursor
    for stamp, path in files:
        if since is not None and stamp <= since:
            continue
        text = path.read_text(encoding="utf-8-sig")
        rows.extend(dict(r) for r in csv.DictReader(io.StringIO(text)))
        latest = repr(stamp)
    return rows, latest


def _log_errors(tally: Tally, what: str, outcomes: Sequence[RowOutcome], offset: int) -> None:
    for outcome in outcomes:
        if outcome.status != "error":
            continue
        entry = {
            "what": what,
            "ref": outcome.external_id or f"row {offset + outcome.index + 1}",
            "errors": [f"{e.field}: {e.code}" for e in outcome.errors],
        }
        tally.errors.append(entry)


async def _take(
    session: AsyncSession, tally: Tally, what: str, rows: list[Any], mapping: Mapping[str, str]
) -> list[str]:
    """Map the rows and hand them to the upserts a chunk at a time; a row that is not an object is
    logged, the others go through. Returns the rows' ``updated_at`` values (the next cursor)."""
    stamps: list[str] = []
    mapped: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(rows):
        values = apply_mapping(row, mapping)
        if values is None:
            tally.errors.append({"what": what, "ref": f"row {index + 1}", "errors": ["row: not_an_object"]})
            continue
        stamp = values.pop("updated_at", None)
        if stamp not in (None, ""):
            stamps.append(str(stamp))
        mapped.append((index, values))
    upsert = upsert_products if what == "product" else upsert_stock_levels
    counts = tally.products if what == "product" else tally.stock
    for start in range(0, len(mapped), MAX_ROWS):
        chunk = mapped[start : start + MAX_ROWS]
        outcomes = await upsert(session, SYSTEM, [values for _, values in chunk])
        for outcome in outcomes:
            if outcome.status != "error":
                counts[outcome.status] = counts.get(outcome.status, 0) + 1
        for outcome in outcomes:
            outcome.index = chunk[outcome.index][0]
        _log_errors(tally, what, outcomes, 0)
    return stamps


async def _push_orders(session: AsyncSession, erp: HttpErp, connector: ErpConnector, tally: Tally) -> None:
    since = _order_key(connector.orders_cursor)
    while True:
        orders = await repo.orders_changed_since(session, since, ORDERS_PER_POST)
        if not orders:
            return
        keys = [o.pop("_key") for o in orders]
        await erp.push_orders(orders)
        tally.orders_pushed += len(orders)
        since = keys[-1]
        connector.orders_cursor = f"{since[0].isoformat()}|{since[1]}"
        await session.commit()


def order_rows(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An order as the order file's rows (``ORDER_FIELDS``): one per line, the order's fields on
    each; an order without lines is one row."""
    head = {
        "number": order["number"],
        "status": order["status"],
        "customer_name": order["customer"]["name"],
        "customer_mobile": order["customer"]["mobile"],
        **{k: order[k] for k in ("total", "paid", "invoice_type", "invoice_title", "invoice_tax_no")},
        "created_at": order["created_at"],
        "updated_at": order["updated_at"],
    }
    lines = order["lines"] or [{}]
    return [
        {
            **head,
            "line_no": n if line else None,
            "line_kind": line.get("kind"),
            **{
                k: line.get(k) for k in ("sku", "description", "quantity", "unit_price", "discount", "amount")
            },
            "serial_numbers": ";".join(line.get("serial_numbers") or []),
        }
        for n, line in enumerate(lines, start=1)
    ]


def _columns(mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """(header, our field) of the order file in ``ORDER_FIELDS`` order: the mapped fields under their
    headers (JSONB keeps no key order, so the fields' order is the file's), or every field under its
    default header."""
    if not mapping:
        return [(header, ours) for ours, header in ORDER_FIELDS.items()]
    return [(header, ours) for ours in ORDER_FIELDS for header, theirs in mapping.items() if theirs == ours]


def write_csv_atomically(
    folder: str, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``folder/name`` as UTF-8 with a BOM, written to a hidden temporary file in the same folder,
    flushed to disk, then renamed over the name: a reader sees the whole file or none of it."""
    base = Path(folder)
    if not base.is_dir():
        raise ErpUnavailable(f"{folder}: not a folder", 1)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=base)
    try:
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, base / name)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ErpUnavailable(f"{folder}: the order file could not be written ({exc.strerror})", 1) from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


async def _write_orders(session: AsyncSession, connector: ErpConnector, tally: Tally) -> None:
    """CSV mode: the orders changed since the last push, a file per ``ORDERS_PER_FILE`` of them."""
    folder = connector.outbound_folder or ""
    columns = _columns(connector.order_mapping or {})
    since = _order_key(connector.orders_cursor)
    while True:
        orders = await repo.orders_changed_since(session, since, ORDERS_PER_FILE)
        if not orders:
            return
        keys = [o.pop("_key") for o in orders]
        last = keys[-1]
        name = f"orders-{last[0].astimezone(UTC).strftime('%Y%m%dT%H%M%S%fZ')}-{str(last[1])[:8]}.csv"
        rows = [[row.get(ours) for _, ours in columns] for order in orders for row in order_rows(order)]
        await asyncio.to_thread(write_csv_atomically, folder, name, [h for h, _ in columns], rows)
        tally.orders_pushed += len(orders)
        tally.files.append(name)
        since = last
        connector.orders_cursor = f"{since[0].isoformat()}|{since[1]}"
        await session.commit()


def _order_key(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor or "|" not in cursor:
        return None
    stamp, _, record = cursor.partition("|")
    return datetime.fromisoformat(stamp), uuid.UUID(record)


async def sync_tenant(
    db: Database, schema: str, *, trigger: str = "schedule", retry: Retry | None = None
) -> ErpSyncRun | None:
    """One run for one tenant, if its connector is switched on: pull products, then stock, then
    push orders; the sync log's row says what happened. Never raises for the ERP's faults."""
    retry = retry or Retry()
    async with db.tenant_session(schema) as session:
        connector = await repo.connector(session)
        if connector is None or not connector.enabled:
            return None
        run = ErpSyncRun(trigger=trigger[:10], status="running", errors=[], attempts=0)
        for name in (
            "products_created",
            "products_updated",
            "products_unchanged",
            "stock_updated",
            "stock_unchanged",
            "orders_pushed",
            "error_count",
        ):
            setattr(run, name, 0)
        session.add(run)
        await session.commit()
        run_id = run.id
        tally = Tally()
        failure: str | None = None
        erp: HttpErp | None = None
        try:
            if connector.mode == "csv":
                folder = connector.csv_folder or ""
                rows, cursor = await asyncio.to_thread(
                    _csv_pull, folder, "products", connector.products_cursor
                )
                await _take(session, tally, "product", rows, connector.product_mapping or {})
                connector.products_cursor = cursor
                await session.commit()
                rows, cursor = await asyncio.to_thread(_csv_pull, folder, "stock", connector.stock_cursor)
                await _take(session, tally, "stock", rows, connector.stock_mapping or {})
                connector.stock_cursor = cursor
                await session.commit()
                if connector.outbound_folder:
                    await _write_orders(session, connector, tally)
            else:
                found = Errors()
                await check_url(found, connector.base_url)
                if found.items or not connector.base_url:
                    raise ErpUnavailable(f"{connector.base_url}: not an address the connector may reach", 0)
                erp = HttpErp(connector, retry, tally)
                rows, given = await erp.pull("products", connector.products_cursor)
                stamps = await _take(session, tally, "product", rows, connector.product_mapping or {})
                connector.products_cursor = given or _latest(stamps, connector.products_cursor)
                await session.commit()
                rows, given = await erp.pull("stock", connector.stock_cursor)
                stamps = await _take(session, tally, "stock", rows, connector.stock_mapping or {})
                connector.stock_cursor = given or _latest(stamps, connector.stock_cursor)
                await session.commit()
                await _push_orders(session, erp, connector, tally)
        except ErpUnavailable as exc:
            await session.rollback()
            failure = str(exc)
        finally:
            if erp is not None:
                await erp.close()
        found_run = await repo.run(session, run_id)
        assert found_run is not None
        run = found_run
        run.products_created = tally.products.get("created", 0)
        run.products_updated = tally.products.get("updated", 0)
        run.products_unchanged = tally.products.get("unchanged", 0)
        run.stock_updated = tally.stock.get("updated", 0)
        run.stock_unchanged = tally.stock.get("unchanged", 0)
        run.orders_pushed = tally.orders_pushed
        run.files = tally.files
        run.error_count = len(tally.errors)
        run.errors = tally.errors[:MAX_LOGGED_ERRORS]
        run.attempts = tally.attempts
        run.message = failure
        run.status = "failed" if failure else "partial" if tally.errors else "ok"
        run.finished_at = datetime.now(UTC)
        if failure:
            await notify(
                session,
                await repo.people_with(session, INTEGRATIONS_MANAGE),
                SYNC_FAILED,
                "The ERP sync failed: %(message)s",
                params={"message": failure[:200]},
                link="/settings/erp",
                dedupe_key=f"erp-sync:{run_id}",
            )
        await session.commit()
        return run


async def enqueue_sync(arq: ArqRedis | None, schema: str) -> bool:
    """Ask the worker for one run now (job id ``erp-sync:<schema>``: a second click while one waits
    adds nothing). Never raises: without Redis the next scheduled run comes anyway."""
    if arq is None:
        return False
    try:
        job = await arq.enqueue_job(SYNC_JOB, schema, _job_id=f"erp-sync:{schema}", _queue_name=QUEUE_NAME)
    except (RedisError, OSError):
        return False
    return job is not None
