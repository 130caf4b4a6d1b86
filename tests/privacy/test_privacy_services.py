"""Sensitive data and PIPL as the dealer's staff meet them: 王建国 (owner) records a customer's
consent and ID card number; 张伟 (salesperson) sees it masked and may not reveal it; 李娜 (another
team) finds nothing; erasure keeps orders but not the person; a data-subject export holds it all."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select, update

from app.audit.models import AuditRecord
from app.contacts.models import Contact
from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import NotFound, PermissionDenied, ValidationFailed
from app.inventory.models import Warehouse
from app.kit.search import search
from app.kit.sensitive import id_card_checksum_ok, luhn_ok
from app.orders.models import Order
from app.privacy import consents, erasure, keys, sensitive, subject_export
from app.privacy.models import Consent, DataKey, SensitiveValue, SubjectExport
from app.settings import get_settings

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(prefix17: str = "11010119900307123") -> str:
    total = sum(int(d) * w for d, w in zip(prefix17, ID_WEIGHTS, strict=True))
    return prefix17 + "10X98765432"[total % 11]


GOOD_ID = id_number()
GOOD_CARD = "6222021234567890128"  # passes Luhn
_seq = iter(range(10_000))


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a", **fields: object) -> uuid.UUID:
    n = next(_seq)
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(**({"name": f"赵敏{n}", "mobile": f"139{n:08d}"} | fields))
        return (await customers.create_customer(session, await actor(app, kit, who), data)).id


async def _consent(
    app: Litestar, kit: TenantKit, customer_id: uuid.UUID, purpose: str = "sensitive_data"
) -> None:
    async with app.state.db.tenant_session(kit.schema) as session:
        await consents.record_consent(
            session, await actor(app, kit, "owner"), customer_id, purpose, "in_store", "2026-01"
        )


def test_the_check_digits_are_the_official_ones() -> None:
    assert id_card_checksum_ok(GOOD_ID)
    assert id_card_checksum_ok("11010519491231002X")  # the GB 11643 example
    assert not id_card_checksum_ok(GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"))
    assert luhn_ok(GOOD_CARD) and not luhn_ok(GOOD_CARD[:-1] + "9")


async def test_a_bad_checksum_a_failing_luhn_and_a_missing_consent_are_field_errors(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        bad_id = GOOD_ID[:-1] + ("1" if GOOD_ID[-1] != "1" else "2")
        with pytest.raises(ValidationFailed) as bad:
            await sensitive.save_sensitive(
                session, owner, "customer", customer, {"id_card": bad_id, "bank_card": GOOD_CARD[:-1] + "9"}
            )
        codes = {e.field: e.code for e in bad.value.errors}
        assert codes == {"id_card": "invalid_id_checksum", "bank_card": "invalid_bank_card_checksum"}
        # Valid numbers, but the customer never agreed to sensitive processing.
        with pytest.raises(ValidationFailed) as refused:
            await sensitive.save_sensitive(session, owner, "customer", customer, {"id_card": GOOD_ID})
        assert [(e.field, e.code) for e in refused.value.errors] == [("id_card", "consent_required")]
        assert (
            await session.scalar(select(SensitiveValue).where(SensitiveValue.record_id == customer))
        ) is None


async def test_the_number_is_sealed_shown_masked_found_by_hash_and_revealed_only_with_permission(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    await _consent(app, tenant, customer)
    owner, sales, sales_b = [await actor(app, tenant, k) for k in ("owner", "sales_a", "sales_b")]
    async with app.state.db.tenant_session(tenant.schema) as session:
        masked = await sensitive.save_sensitive(
            session, owner, "customer", customer, {"id_card": f" {GOOD_ID[:6]} {GOOD_ID[6:]} "}
        )
        assert {m.field: m.masked for m in masked}["id_card"] == GOOD_ID[:6] + "********" + GOOD_ID[-4:]
        stored = await session.scalar(select(SensitiveValue).where(SensitiveValue.record_id == customer))
        assert stored is not None and GOOD_ID not in stored.ciphertext and GOOD_ID[-4:] in stored.masked
        # The audit record names the field, never the value.
        records = (
            await session.scalars(select(AuditRecord).where(AuditRecord.entity_id == str(customer)))
        ).all()
        assert all(GOOD_ID not in json.dumps([r.before, r.after]) for r in records)
        assert any(r.action == "sensitive_update" for r in records)

        # 张伟 (his own customer) sees it masked, but revealing needs customers:reveal.
        seen = await sensitive.masked_values(session, sales, "customer", customer)
        assert seen[0].masked and "*" in seen[0].masked
        with pytest.raises(PermissionDenied):
            await sensitive.reveal(session, sales, "customer", customer, "id_card")
        assert await sensitive.reveal(session, owner, "customer", customer, "id_card") == GOOD_ID
        reveal = await session.scalar(
            select(AuditRecord).where(AuditRecord.entity_id == str(customer), AuditRecord.action == "reveal")
        )
        assert reveal is not None and reveal.after == {"field": "id_card"} and reveal.actor_id is not None

        # A full number finds the customer; a partial one finds nothing; another team finds nothing.
        assert [
            c.id for c in await sensitive.find_by_value(session, owner, "customer", "id_card", GOOD_ID)
        ] == [customer]
        with pytest.raises(ValidationFailed):
            await sensitive.find_by_value(session, owner, "customer", "id_card", GOOD_ID[:10])
        # The top bar's search finds the customer by the full number too, never by a part of it.
        groups = await search(session, owner, GOOD_ID)
        assert [h.id for g in groups if g.entity == "customer" for h in g.hits] == [str(customer)]
        assert not [g for g in await search(session, owner, GOOD_ID[:12]) if g.entity == "customer"]
        assert not [g for g in await search(session, sales_b, GOOD_ID) if g.entity == "customer"]
        assert await sensitive.find_by_value(session, sales_b, "customer", "id_card", GOOD_ID) == []
        # Another team's customer reads like absent, for masking and revealing alike.
        with pytest.raises(NotFound):
            await sensitive.masked_values(session, sales_b, "customer", customer)


async def test_withdrawing_the_sensitive_consent_deletes_the_values(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant)
    await _consent(app, tenant, customer)
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await sensitive.save_sensitive(session, owner, "customer", customer, {"bank_card": GOOD_CARD})
        with pytest.raises(ValidationFailed) as twice:
            await consents.record_consent(session, owner, customer, "sensitive_data", "phone", "2026-02")
        assert twice.value.errors[0].code == "already_given"
        withdrawn = await consents.withdraw_consent(session, owner, customer, "sensitive_data", "phone")
        assert withdrawn.withdrawn_at is not None
        assert [m.masked for m in await sensitive.masked_values(session, owner, "customer", customer)] == [
            None,
            None,
        ]
        with pytest.raises(ValidationFailed) as bad:
            await consents.record_consent(session, owner, customer, "spam", "carrier pigeon", "")
        assert {e.field for e in bad.value.errors} == {"purpose", "channel", "policy_version"}
        history = await consents.consents_of(session, owner, customer)
        assert [c.purpose for c in history] == ["sensitive_data"] and history[0].withdraw_channel == "phone"


async def test_rotating_the_master_key_and_reencrypting_keeps_every_value_readable(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [await _customer(app, tenant) for _ in range(3)]
    owner = await actor(app, tenant, "owner")
    for cid in ids:
        await _consent(app, tenant, cid)
    async with app.state.db.tenant_session(tenant.schema) as session:
        for i, cid in enumerate(ids):
            await sensitive.save_sensitive(
                session, owner, "customer", cid, {"id_card": id_number(f"33010619850101{i}12")}
            )
    old_master, _known = keys.master_keys()
    old_text = base64.b64encode(old_master.key).decode()
    new_text = base64.b64encode(os.urandom(32)).decode()
    base = get_settings()

    def configure(current: str, *retired: str) -> None:
        configured = dataclasses.replace(base, data_master_key=current, data_master_keys_retired=retired)
        monkeypatch.setattr(keys, "get_settings", lambda: configured)

    # The operator sets the new key and keeps the old one as retired while the rotation runs.
    configure(new_text, old_text)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await keys.rewrap(session) == 2  # the encrypt and the search key
        newest = await keys.add_encrypt_version(session)
        await session.commit()
        moved = 0
        while batch := await sensitive.reencrypt_batch(session, newest, limit=2):
            moved += batch
            await session.commit()
        assert moved == 3
    # The old master key is gone: every value still opens, and search still finds each one.
    configure(new_text)
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert set((await session.scalars(select(DataKey.master_key_id))).all()) == {
            keys.MasterKey.from_text(new_text).key_id
        }
        for i, cid in enumerate(ids):
            number = id_number(f"33010619850101{i}12")
            assert await sensitive.reveal(session, owner, "customer", cid, "id_card") == number
            found = await sensitive.find_by_value(session, owner, "customer", "id_card", number)
            assert [c.id for c in found] == [cid]
    # A data key wrapped by a master key nobody configured is a clear error, not garbage.
    configure(old_text)
    keys._opened.clear()
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(keys.DataKeyError):
            await sensitive.reveal(session, owner, "customer", ids[0], "id_card")


def test_production_refuses_to_start_without_a_data_master_key() -> None:
    base = dataclasses.replace(get_settings(), environment="production", data_master_key=None)
    with pytest.raises(SystemExit, match="DATA_MASTER_KEY"):
        keys.refuse_missing_master_key(base)
    with pytest.raises(SystemExit):
        keys.refuse_missing_master_key(dataclasses.replace(base, data_master_key="c2hvcnQ="))
    keys.refuse_missing_master_key(dataclasses.replace(base, data_master_key="A" * 43 + "="))
    keys.refuse_missing_master_key(dataclasses.replace(base, environment="development"))


async def _order(app: Litestar, kit: TenantKit, customer_id: uuid.UUID, status: str) -> None:
    """An order row as a sale leaves it (the orders module's own tests cover its verbs)."""
    async with app.state.db.tenant_session(kit.schema) as session:
        warehouse = await session.scalar(select(Warehouse.id).limit(1))
        if warehouse is None:
            depot = Warehouse(code="W1", name="总仓", kind="central", version=1)
            session.add(depot)
            await session.flush()
            warehouse = depot.id
        session.add(
            Order(
                number=f"SO{uuid.uuid4().hex[:10]}",
                customer_id=customer_id,
                warehouse_id=warehouse,
                status=status,
                total=Decimal("5999"),
                version=1,
            )
        )
        await session.commit()


async def test_erasure_is_refused_with_open_orders_and_otherwise_anonymises_the_person(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant, kind="company", notes="喜欢西门子", email="zhaomin@example.com")
    owner = await actor(app, tenant, "owner")
    await _consent(app, tenant, customer)
    async with app.state.db.tenant_session(tenant.schema) as session:
        await sensitive.save_sensitive(session, owner, "customer", customer, {"id_card": GOOD_ID})
        await ContactService(session, owner).create(
            {"customer_id": str(customer), "name": "赵敏的丈夫", "mobile": "13700001111"}
        )
    await _order(app, tenant, customer, "approved")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as refused:
            await erasure.erase_customer(session, owner, customer)
        assert refused.value.errors[0].code == "open_orders" and "SO" in refused.value.errors[0].message
        with pytest.raises(PermissionDenied):
            await erasure.erase_customer(session, await actor(app, tenant, "manager_a"), customer)
        await session.execute(update(Order).where(Order.customer_id == customer).values(status="completed"))
        await session.commit()
        erased = await erasure.erase_customer(session, owner, customer)
        assert erased.name.startswith("已删除客户-") and erased.mobile is None and erased.notes is None
    async with app.state.db.tenant_session(tenant.schema) as session:
        row = await session.get(Customer, customer)
        assert row is not None and row.email is None and "赵敏" not in row.search_text
        contact_names = (
            await session.execute(select(Contact.name, Contact.mobile).where(Contact.customer_id == customer))
        ).all()
        assert contact_names == [("已删除", None)]
        # Orders and their totals stay for the statistics.
        assert len((await session.scalars(select(Order.id).where(Order.customer_id == customer))).all()) == 1
        assert (
            await session.scalar(select(SensitiveValue.field).where(SensitiveValue.record_id == customer))
            is None
        )
        with pytest.raises(ValidationFailed) as again:
            await erasure.erase_customer(session, owner, customer)
        assert again.value.errors[0].code == "already_erased"


async def test_the_retention_rule_reports_first_and_anonymises_only_what_is_confirmed(
    app: Litestar, tenant: TenantKit
) -> None:
    old, recent, busy = [await _customer(app, tenant) for _ in range(3)]
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        long_ago = datetime.now(UTC) - timedelta(days=365 * 4)
        await session.execute(
            update(Customer).where(Customer.id.in_([old, busy])).values(updated_at=long_ago)
        )
        await session.commit()
        with pytest.raises(ValidationFailed):
            await erasure.set_retention_years(session, owner, "0")
        assert await erasure.retention_report(session, owner) == (None, [])
        await erasure.set_retention_years(session, owner, 3)
    await _order(app, tenant, busy, "submitted")  # an open order: not reported
    async with app.state.db.tenant_session(tenant.schema) as session:
        years, report = await erasure.retention_report(session, owner)
        assert years == 3 and old in [i.customer_id for i in report]
        assert recent not in [i.customer_id for i in report] and busy not in [i.customer_id for i in report]
        # Confirming a list that names a recent customer anonymises only the due one.
        assert await erasure.apply_retention(session, owner, [old, recent]) == 1
        assert (await session.get(Customer, old, populate_existing=True)).name.startswith("已删除客户-")  # type: ignore[union-attr]
        assert not (await session.get(Customer, recent, populate_existing=True)).name.startswith("已删除")  # type: ignore[union-attr]


async def test_the_data_subject_export_holds_everything_and_only_its_requester_downloads_it(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant, kind="company", notes="想换双开门冰箱")
    owner, admin = await actor(app, tenant, "owner"), await actor(app, tenant, "admin")
    await _consent(app, tenant, customer)
    await _consent(app, tenant, customer, "marketing_sms")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await sensitive.save_sensitive(session, owner, "customer", customer, {"id_card": GOOD_ID})
        await ContactService(session, owner).create(
            {"customer_id": str(customer), "name": "赵敏女儿", "mobile": "13700002222"}
        )
        with pytest.raises(PermissionDenied):
            await subject_export.request_subject_export(
                session, await actor(app, tenant, "sales_a"), customer
            )
        job = await subject_export.request_subject_export(session, owner, customer)
    await _order(app, tenant, customer, "completed")
    assert await subject_export.run_subject_export(app.state.db, tenant.schema, job.id) == "done"
    assert (
        await subject_export.run_subject_export(app.state.db, tenant.schema, job.id) == "skipped"
    )  # a rerun
    async with app.state.db.tenant_session(tenant.schema) as session:
        found = await subject_export.subject_export_file(session, owner, tenant.schema, job.id)
        with pytest.raises(NotFound):  # even another administrator: only the requester
            await subject_export.subject_export_file(session, admin, tenant.schema, job.id)
        audited = (
            await session.scalars(select(AuditRecord.action).where(AuditRecord.entity_id == str(job.id)))
        ).all()
        assert sorted(audited) == ["download", "request"]
    archive = zipfile.ZipFile(io.BytesIO(found.path.read_bytes()))
    assert {"data.json", "customer.csv", "contacts.csv", "orders.csv", "consents.csv", "audit.csv"} <= set(
        archive.namelist()
    )
    data = json.loads(archive.read("data.json"))
    assert data["customer"][0]["notes"] == "想换双开门冰箱" and data["customer"][0]["id_card"] == GOOD_ID
    assert [c["name"] for c in data["contacts"]] == ["赵敏女儿"]
    assert sorted(c["purpose"] for c in data["consents"]) == ["marketing_sms", "sensitive_data"]
    assert len(data["orders"]) == 1
    assert {a["action"] for a in data["audit"]} >= {"create", "give", "sensitive_update"}
    assert "赵敏女儿" in archive.read("contacts.csv").decode("utf-8-sig")


async def test_another_tenant_sees_none_of_it(
    app: Litestar, tenant: TenantKit, other_tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    await _consent(app, tenant, customer)
    stranger = await actor(app, other_tenant, "owner")
    async with app.state.db.tenant_session(other_tenant.schema) as session:
        for call in (
            sensitive.masked_values(session, stranger, "customer", customer),
            sensitive.reveal(session, stranger, "customer", customer, "id_card"),
            consents.consents_of(session, stranger, customer),
            erasure.erase_customer(session, stranger, customer),
            subject_export.request_subject_export(session, stranger, customer),
        ):
            with pytest.raises(NotFound):
                await call
        assert (await session.scalar(select(SubjectExport))) is None


async def test_the_demo_dealer_gets_consents_and_sealed_id_numbers_once(
    app: Litestar, tenant: TenantKit
) -> None:
    import random

    from app.demo.privacy import demo_id_number, ensure_demo_privacy

    assert all(id_card_checksum_ok(demo_id_number(random.Random(i))) for i in range(50))
    for _ in range(4):
        await _customer(app, tenant)
    await ensure_demo_privacy(app.state.db, tenant.schema, tenant.people["owner"], echo=lambda _: None)
    await ensure_demo_privacy(app.state.db, tenant.schema, tenant.people["owner"], echo=lambda _: None)
    async with app.state.db.tenant_session(tenant.schema) as session:
        given = (await session.scalars(select(Consent.purpose))).all()
        assert given.count("marketing_sms") == 4 and given.count("sensitive_data") == 2
        assert len((await session.scalars(select(SensitiveValue.record_id))).all()) == 2
