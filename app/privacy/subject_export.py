"""Data-subject export (PIPL art. 45): everything held about one person as a ZIP of JSON and CSV,
made by a background job, downloadable by its requester only, each step audited.

The row in ``subject_exports`` is the record of truth (ARCHITECTURE "Workers"): it is committed
first, then handed to arq under its natural job id; a rerun of a done export does nothing, a killed
run leaves only a hidden partial file that the next attempt clears.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.accounts.service import actor_for
from app.addresses.models import Address
from app.audit import service as audit
from app.audit.models import AuditRecord
from app.contacts.models import Contact
from app.customers import repository as customers_repo
from app.customers.service import CustomerService
from app.db import Database
from app.domain import Actor, NotFound, PermissionDenied
from app.followups.models import FollowUp, Task
from app.kit import jobs
from app.kit.jobs import JobTable, register_job
from app.kit.service import json_ready, unit_of_work
from app.observability import scrub_text
from app.orders.models import Order, OrderLine, Payment
from app.privacy import sensitive
from app.privacy.entity import PRIVACY_MANAGE
from app.privacy.models import Consent, SubjectExport, SubjectExportStatus
from app.storage import tenant_files
from app.timeline.models import CustomerNote

log = logging.getLogger("dealercrm.privacy")

ENTITY = "subject_export"
AREA = "subject_exports"
JOB_NAME = "export_subject_data"
# Columns that are machinery, not the person's data.
_SKIP = frozenset({"search_grams", "search_text"})


@dataclass(frozen=True)
class SubjectFile:
    path: Path
    download_name: str
    content_type: str = "application/zip"


def _require(actor: Actor) -> None:
    if not actor.can(PRIVACY_MANAGE):
        raise PermissionDenied(PRIVACY_MANAGE)


def arq_job_id(schema: str, export_id: uuid.UUID) -> str:
    return f"subject-export:{schema}:{export_id}"


async def request_subject_export(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> SubjectExport:
    """Record a request for all of a customer's data; the caller enqueues it once this commits."""
    _require(actor)
    async with unit_of_work(session):
        await CustomerService(session, actor).get(customer_id)
        job = SubjectExport(
            customer_id=customer_id, requested_by=actor.user_id, status=SubjectExportStatus.QUEUED, attempts=0
        )
        session.add(job)
        await session.flush()
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=job.id,
            action="request",
            before=None,
            after={"customer_id": str(customer_id)},
        )
    return job


# The lost-job sweep (app.kit.jobs): an export whose enqueue was lost is enqueued again; one whose
# worker died is queued again and starts from scratch (a run fences its outcome by attempt).
SUBJECT_EXPORT_JOBS = register_job(
    JobTable(
        key="subject_export",
        model=SubjectExport,
        job_name=JOB_NAME,
        job_id=lambda schema, row: arq_job_id(schema, row.id),
        waiting=(SubjectExportStatus.QUEUED,),
        running=(SubjectExportStatus.RUNNING,),
        requeue_after=lambda: timedelta(seconds=60),
        stale_after=lambda: timedelta(minutes=10),
        restart={"status": SubjectExportStatus.QUEUED, "error": None},
        failed=lambda tries: {
            "status": SubjectExportStatus.FAILED,
            "error": f"the worker stopped {tries} times during this export",
            "finished_at": datetime.now(UTC),
        },
    )
)


async def enqueue(arq: ArqRedis | None, schema: str, export_id: uuid.UUID) -> bool:
    """Hand the export to the worker; never raises (the row stays queued and the sweep enqueues it)."""
    if arq is None:
        return False
    return await jobs.enqueue(arq, SUBJECT_EXPORT_JOBS, schema, str(export_id), arq_job_id(schema, export_id))


async def exports_of(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> list[SubjectExport]:
    """The actor's own exports of this customer, newest first (nobody else's: not even an admin's)."""
    _require(actor)
    await CustomerService(session, actor).get(customer_id)
    return list(
        (
            await session.scalars(
                select(SubjectExport)
                .where(SubjectExport.customer_id == customer_id, SubjectExport.requested_by == actor.user_id)
                .order_by(SubjectExport.created_at.desc())
                .limit(20)
            )
        ).all()
    )


async def get_subject_export(session: AsyncSession, actor: Actor, export_id: uuid.UUID) -> SubjectExport:
    _require(actor)
    job = await session.get(SubjectExport, export_id)
    if job is None or job.requested_by != actor.user_id:
        raise NotFound(ENTITY, export_id)  # someone else's reads exactly like a missing one
    return job


async def subject_export_file(
    session: AsyncSession, actor: Actor, schema: str, export_id: uuid.UUID
) -> SubjectFile:
    """The finished ZIP, for its requester only; each download audited."""
    async with unit_of_work(session):
        job = await get_subject_export(session, actor, export_id)
        files = tenant_files(schema, AREA)
        if job.status != SubjectExportStatus.DONE or not job.file_name or not files.exists(job.file_name):
            raise NotFound(ENTITY, export_id)
        audit.record(
            session,
            actor,
            entity=ENTITY,
            entity_id=job.id,
            action="download",
            before=None,
            after={"customer_id": str(job.customer_id)},
        )
    stamp = job.created_at.astimezone(UTC).strftime("%Y%m%d-%H%M")
    return SubjectFile(files.path(job.file_name), f"个人信息导出-{stamp}.zip")


# -- the run (the arq job) ------------------------------------------------------------------------


def _row(record: Any) -> dict[str, Any]:
    return {
        c.key: json_ready(getattr(record, c.key))
        for c in record.__mapper__.column_attrs
        if c.key not in _SKIP
    }


async def collect(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """Everything held about the customer, section by section (each a list of flat-ish rows)."""
    customer = await CustomerService(session, actor).get(customer_id)
    tags = [
        t.name for t in (await customers_repo.tags_by_customer(session, [customer_id])).get(customer_id, [])
    ]
    person = {
        **_row(customer),
        "tags": tags,
        **await sensitive.plaintexts_for_export(session, "customer", customer_id),
    }

    async def rows(model: Any, *conditions: Any) -> list[dict[str, Any]]:
        return [_row(r) for r in (await session.scalars(select(model).where(*conditions))).all()]

    orders = await rows(Order, Order.customer_id == customer_id)
    order_ids = [uuid.UUID(o["id"]) for o in orders]
    child_ids = [
        str(i)
        for model in (Contact, Address, CustomerNote, FollowUp, Order)
        for i in (await session.scalars(select(model.id).where(model.customer_id == customer_id))).all()
    ]
    consent_ids = [
        str(i)
        for i in (await session.scalars(select(Consent.id).where(Consent.customer_id == customer_id))).all()
    ]
    audit_rows = await rows(
        AuditRecord,
        or_(
            (AuditRecord.entity == "customer") & (AuditRecord.entity_id == str(customer_id)),
            AuditRecord.entity_id.in_(child_ids + consent_ids),
        ),
    )
    return {
        "customer": [person],
        "contacts": await rows(Contact, Contact.customer_id == customer_id),
        "addresses": await rows(Address, Address.customer_id == customer_id),
        "notes": await rows(CustomerNote, CustomerNote.customer_id == customer_id),
        "follow_ups": await rows(FollowUp, FollowUp.customer_id == customer_id),
        "tasks": await rows(Task, Task.customer_id == customer_id),
        "orders": orders,
        "order_lines": await rows(OrderLine, OrderLine.order_id.in_(order_ids)) if order_ids else [],
        "payments": await rows(Payment, Payment.customer_id == customer_id),
        "consents": await rows(Consent, Consent.customer_id == customer_id),
        "audit": sorted(audit_rows, key=lambda r: str(r.get("at"))),
    }


def _csv(rows: Sequence[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
                for k, v in row.items()
            }
        )
    return ("\ufeff" + out.getvalue()).encode()  # BOM: Excel opens UTF-8 CSV as such


def build_zip(data: dict[str, list[dict[str, Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str))
        for section, rows in data.items():
            archive.writestr(f"{section}.csv", _csv(rows))
    return buffer.getvalue()


async def run_subject_export(db: Database, schema: str, export_id: uuid.UUID) -> str:
    """Write one export's ZIP (idempotent: a done or missing export is left alone)."""
    async with db.tenant_session(schema) as session:
        claimed = await session.execute(
            update(SubjectExport)
            .where(SubjectExport.id == export_id, SubjectExport.status == SubjectExportStatus.QUEUED)
            .values(
                status=SubjectExportStatus.RUNNING,
                attempts=SubjectExport.attempts + 1,
                heartbeat_at=datetime.now(UTC),
            )
            .returning(SubjectExport.requested_by, SubjectExport.customer_id, SubjectExport.attempts)
        )
        found = claimed.first()
        await session.commit()
    if found is None:
        return "skipped"
    requested_by, customer_id, attempt = found
    # This attempt's outcome is written only while it is still the export's current attempt.
    ours = (
        SubjectExport.id == export_id,
        SubjectExport.attempts == attempt,
        SubjectExport.status == SubjectExportStatus.RUNNING,
    )
    files = tenant_files(schema, AREA)
    file_name = f"{export_id}.zip"
    files.discard_partials(file_name)
    try:
        async with db.tenant_session(schema) as session:
            requester = await accounts_repo.user_by_id(session, requested_by)
            if (
                requester is None
                or not requester.is_active
                or PRIVACY_MANAGE not in requester.role.permissions
            ):
                raise PermissionDenied(PRIVACY_MANAGE)
            data = await collect(session, actor_for(requester, via="system"), customer_id)
        payload = build_zip(data)
        with files.write_atomic(file_name) as out:
            out.write(payload)
    except Exception as exc:
        log.warning("subject export %s in %s failed: %s", export_id, schema, type(exc).__name__)
        message = (
            "the requester may no longer export personal data"
            if isinstance(exc, PermissionDenied | NotFound)
            else f"{type(exc).__name__}: {scrub_text(str(exc))}"[:300]
        )
        async with db.tenant_session(schema) as session:
            await session.execute(
                update(SubjectExport)
                .where(*ours)
                .values(status=SubjectExportStatus.FAILED, error=message, finished_at=datetime.now(UTC))
            )
            await session.commit()
        return "failed"
    async with db.tenant_session(schema) as session:
        finished = await session.execute(
            update(SubjectExport)
            .where(*ours)
            .values(
                status=SubjectExportStatus.DONE,
                file_name=file_name,
                error=None,
                finished_at=datetime.now(UTC),
            )
        )
        await session.commit()
    return "done" if finished.rowcount else "superseded"  # type: ignore[attr-defined]
