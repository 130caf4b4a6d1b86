"""The customer timeline: everything that happened to a customer, newest first, a keyset page at a
time, filterable by kind, visible exactly when the customer is; quick notes with @mentions and
attachments stored per tenant."""

from __future__ import annotations

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.contacts.service import ContactService
from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput
from app.domain import NotFound, ValidationFailed
from app.notifications.models import Notification
from app.storage import tenant_files
from app.timeline import notes, registry
from app.timeline.models import CustomerNote
from app.timeline.notes import Upload, add_note, attachment
from app.timeline.registry import EntryKind, TimelineSource, register_kind, register_source
from app.timeline.service import customer_timeline, entry_kinds


async def _customer(app: Litestar, kit: TenantKit, who: str = "sales_a", **fields: object) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        data = CustomerInput(**({"name": "刘德华", "kind": "company"} | fields))
        return await customers.create_customer(session, await actor(app, kit, who), data)


async def test_edits_stage_moves_notes_and_child_changes_newest_first(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        await customers.update_customer(session, sales, customer.id, 1, CustomerInput(mobile="13912340000"))
        await customers.transition_customer(session, sales, customer.id, "interested", 2, note="想换空调")
        await ContactService(session, sales).create({"customer_id": str(customer.id), "name": "赵经理"})
        await add_note(session, sales, tenant.schema, customer.id, "客户说下周来店")
        page = await customer_timeline(session, sales, customer.id)
    kinds = [e.kind for e in page.items]
    assert kinds == ["note", "contact", "stage", "record", "record"]
    note, contact, stage, edit, created = page.items
    assert note.data["body"] == "客户说下周来店" and note.actor_name == "张伟"
    assert contact.data["action"] == "create" and contact.data["title"] == "赵经理"
    assert stage.data["to"] == "interested" and stage.data["note"] == "想换空调"
    assert edit.changed_fields == ["mobile"] and created.data["action"] == "create"
    assert page.total == 5 and not page.has_next


async def test_pages_follow_the_cursor_and_kinds_filter(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant)
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        for i in range(5):
            await add_note(session, sales, tenant.schema, customer.id, f"第{i}次电话")
        first = await customer_timeline(session, sales, customer.id, kinds_wanted=["note"], first=3)
        rest = await customer_timeline(
            session, sales, customer.id, kinds_wanted=["note"], first=3, after=first.end_cursor
        )
    bodies = [e.data["body"] for e in first.items + rest.items]
    assert bodies == [f"第{i}次电话" for i in (4, 3, 2, 1, 0)]
    assert first.has_next and not rest.has_next and first.total == 5


async def test_bad_paging_and_unknown_kinds_are_field_errors(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant)
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:
            await customer_timeline(session, sales, customer.id, kinds_wanted=["gossip"], first=0)
        assert {e.field for e in caught.value.errors} == {"kinds", "first"}
        with pytest.raises(ValidationFailed) as caught:
            await customer_timeline(session, sales, customer.id, after="bm90IGEgY3Vyc29y")
        assert caught.value.errors[0].code == "invalid_cursor"


async def test_a_customer_out_of_scope_has_no_timeline(app: Litestar, tenant: TenantKit) -> None:
    """李娜 (another team) cannot read 张伟's customer's timeline: it reads as absent."""
    customer = await _customer(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(NotFound):
            await customer_timeline(session, await actor(app, tenant, "sales_b"), customer.id)
        # Their manager sees it.
        assert (await customer_timeline(session, await actor(app, tenant, "manager_a"), customer.id)).items


async def test_a_mention_records_the_colleague_and_writes_the_notification_hook(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    async with app.state.db.tenant_session(tenant.schema) as session:
        note = await add_note(
            session,
            await actor(app, tenant, "sales_a"),
            tenant.schema,
            customer.id,
            "@刘洋，客户要特价，@不存在的人 请看",
        )
        assert note.mentions == [tenant.people["manager_a"]]
        told = (await session.scalars(select(Notification))).all()
        # 刘洋 hears about it in the notification centre, linked to the customer's timeline.
        assert [(n.recipient_id, n.kind, n.link) for n in told] == [
            (tenant.people["manager_a"], "note.mentioned", f"/customers/{customer.id}#timeline")
        ]
        assert told[0].params == {"who": "张伟", "customer": "刘德华"}


async def test_attachments_are_stored_per_tenant_and_read_only_through_a_visible_note(
    app: Litestar, tenant: TenantKit
) -> None:
    customer = await _customer(app, tenant)
    sales = await actor(app, tenant, "sales_a")
    async with app.state.db.tenant_session(tenant.schema) as session:
        note = await add_note(
            session,
            sales,
            tenant.schema,
            customer.id,
            "报价单",
            [Upload("../报价单.pdf", "application/pdf", b"%PDF-1")],
        )
        (item,) = note.attachments
        assert item["name"] == "报价单.pdf" and item["file"].endswith(".pdf") and item["size"] == 6
        assert tenant_files(tenant.schema, notes.ATTACHMENTS_AREA).exists(item["file"])
        described, handle = await attachment(session, sales, tenant.schema, note.id, 0)
        with handle:
            assert handle.read() == b"%PDF-1"
        with pytest.raises(NotFound):
            await attachment(session, await actor(app, tenant, "sales_b"), tenant.schema, note.id, 0)
        with pytest.raises(NotFound):
            await attachment(session, sales, tenant.schema, note.id, 1)


async def test_a_refused_note_leaves_no_file_behind(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant)
    sales = await actor(app, tenant, "sales_a")
    folder = tenant_files(tenant.schema, notes.ATTACHMENTS_AREA).folder
    before = set(folder.iterdir()) if folder.exists() else set()
    async with app.state.db.tenant_session(tenant.schema) as session:
        with pytest.raises(ValidationFailed) as caught:  # an empty note, with a file
            await add_note(
                session, sales, tenant.schema, customer.id, "  ", [Upload("a.txt", "text/plain", b"x")]
            )
        assert caught.value.errors[0].field == "body"
        with pytest.raises(ValidationFailed) as caught:
            await add_note(
                session,
                sales,
                tenant.schema,
                customer.id,
                "太多",
                [Upload(f"{i}.txt", "text/plain", b"x") for i in range(6)],
            )
        assert caught.value.errors[0].code == "too_many_files"
        assert (
            await session.scalar(select(CustomerNote.id).where(CustomerNote.customer_id == customer.id))
            is None
        )
    after = set(folder.iterdir()) if folder.exists() else set()
    assert after == before


async def test_a_module_adds_a_kind_by_registration(app: Litestar, tenant: TenantKit) -> None:
    """A later module (deliveries, say) registers a source and a kind; the timeline shows it."""
    from sqlalchemy import String, cast, func, literal
    from sqlalchemy.dialects.postgresql import JSONB, UUID

    def deliveries(customer_id: object, wanted: frozenset[str]) -> object:
        return select(
            cast(
                func.md5(func.concat("delivery:", cast(literal(str(customer_id)), String))),
                UUID(as_uuid=True),
            ).label("id"),
            func.now().label("at"),
            literal("test_delivery").label("kind"),
            cast(literal(None), UUID(as_uuid=True)).label("actor_id"),
            literal("系统").label("actor_label"),
            cast(literal('{"order": "SO-1"}'), JSONB).label("data"),
        )

    register_source(TimelineSource("test_deliveries", deliveries))  # type: ignore[arg-type]
    register_kind(EntryKind("test_delivery", "Deliveries", "truck", source="test_deliveries"))
    try:
        assert "test_delivery" in [k.key for k in entry_kinds()]
        customer = await _customer(app, tenant)
        async with app.state.db.tenant_session(tenant.schema) as session:
            page = await customer_timeline(
                session, await actor(app, tenant, "sales_a"), customer.id, kinds_wanted=["test_delivery"]
            )
    finally:  # other tests in this process see the timeline as shipped
        registry._kinds.pop("test_delivery")
        registry._sources.pop("test_deliveries")
    assert [(e.kind, e.data["order"]) for e in page.items] == [("test_delivery", "SO-1")]
