"""Isolation cases of personal data (PIPL): B's customer has a consent, a sealed ID card number and a
finished data-subject export whose file holds the marker; nothing A does with B's ids may read the
number or the file, record or withdraw B's consents, erase B's customer or start an export of it."""

from __future__ import annotations

from typing import Any

from isolation_world import MARKER_NAME, TENANT, GraphQLCase, RouteCase, World
from litestar import Litestar
from sqlalchemy import select

from app.privacy import consents, sensitive, subject_export
from app.privacy.models import Consent, Erasure, SensitiveValue, SubjectExport, SubjectExportStatus
from app.storage import tenant_files

B_ID_NUMBER = "11010519491231002X"
_SECTION = "/customers/{customer_id:uuid}/privacy"

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    ("GET", _SECTION): RouteCase(TENANT),
    ("POST", f"{_SECTION}/reveal"): RouteCase(TENANT, {"field": "id_card"}),
    ("POST", f"{_SECTION}/sensitive"): RouteCase(TENANT, {"id_card": "", "clear_id_card": "1"}),
    ("POST", f"{_SECTION}/consents"): RouteCase(
        TENANT, {"purpose": "marketing_sms", "channel": "online", "policy_version": "v1"}
    ),
    ("POST", f"{_SECTION}/consents/withdraw"): RouteCase(
        TENANT, {"purpose": "sensitive_data", "channel": "phone"}
    ),
    ("POST", f"{_SECTION}/exports"): RouteCase(TENANT),
    ("POST", f"{_SECTION}/erase"): RouteCase(TENANT),
    ("GET", "/privacy/exports/{subject_export_id:uuid}/download"): RouteCase(TENANT),
    # A's own retention page: its report lists A's customers only.
    ("GET", "/privacy/retention"): RouteCase(TENANT),
    ("POST", "/privacy/retention"): RouteCase(TENANT, {"years": "1"}),
    ("POST", "/privacy/retention/apply"): RouteCase(TENANT),
}

_REF = "mutation($id: ID!) { %s(input: {customerId: $id}) { __typename } }"

GRAPHQL_CASES: dict[str, GraphQLCase] = {
    "recordConsent": (
        "mutation($id: ID!) { recordConsent(input: {customerId: $id, purpose: MARKETING_SMS, "
        'channel: ONLINE, policyVersion: "v1"}) { __typename } }',
        lambda w: {"id": str(w.b_customer)},
    ),
    "withdrawConsent": (
        "mutation($id: ID!) { withdrawConsent(input: {customerId: $id, purpose: SENSITIVE_DATA, "
        "channel: PHONE}) { __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "updateSensitive": (
        "mutation($id: ID!) { updateSensitive(input: {customerId: $id, idCard: null}) { __typename } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "revealSensitive": (
        "mutation($id: ID!) { revealSensitive(input: {customerId: $id, field: ID_CARD}) "
        "{ __typename ... on RevealedValue { value } } }",
        lambda w: {"id": str(w.b_customer)},
    ),
    "customersBySensitiveValue": (
        "query($v: String!) { customersBySensitiveValue(field: ID_CARD, value: $v) }",
        lambda w: {"v": B_ID_NUMBER},
    ),
    "requestDataExport": (_REF % "requestDataExport", lambda w: {"id": str(w.b_customer)}),
    "eraseCustomer": (_REF % "eraseCustomer", lambda w: {"id": str(w.b_customer)}),
    "dataExport": (
        "query($id: ID!) { dataExport(id: $id) "
        "{ __typename ... on DataExportPayload { export { downloadUrl } } } }",
        lambda w: {"id": w.extra["subject_export_id"]},
    ),
}


async def seed(app: Litestar, world: World, session: Any, b_owner: Any) -> dict[str, str]:
    await consents.record_consent(session, b_owner, world.b_customer, "sensitive_data", "in_store", "2026-01")
    await sensitive.save_sensitive(session, b_owner, "customer", world.b_customer, {"id_card": B_ID_NUMBER})
    job = await subject_export.request_subject_export(session, b_owner, world.b_customer)
    name = f"{job.id}.zip"
    with tenant_files(world.b.schema, subject_export.AREA).write_atomic(name) as out:
        out.write(MARKER_NAME.encode())
    job.status, job.file_name = SubjectExportStatus.DONE, name
    await session.commit()
    return {"subject_export_id": str(job.id)}


async def untouched(session: Any, world: World) -> list[str]:
    problems = []
    consent = await session.scalar(select(Consent).where(Consent.customer_id == world.b_customer))
    if consent is None or consent.withdrawn_at is not None:
        problems.append("B's consent was withdrawn")
    if (
        len((await session.scalars(select(Consent).where(Consent.customer_id == world.b_customer))).all())
        != 1
    ):
        problems.append("a consent was recorded on B's customer")
    if (
        await session.scalar(select(SensitiveValue).where(SensitiveValue.record_id == world.b_customer))
        is None
    ):
        problems.append("B's sensitive value was removed")
    if await session.get(Erasure, world.b_customer) is not None:
        problems.append("B's customer was erased")
    exports = (
        await session.scalars(select(SubjectExport).where(SubjectExport.customer_id == world.b_customer))
    ).all()
    if [str(e.id) for e in exports] != [world.extra["subject_export_id"]]:
        problems.append("an export of B's customer was requested")
    return problems
