"""``dealercrm keys rotate``: the operator swaps the master key while the app keeps serving; after
the rotation (and the optional re-encryption in batches) every value opens under the new key alone."""

from __future__ import annotations

import base64
import dataclasses
import os

import pytest
from crm_testkit import TenantKit, actor
from litestar import Litestar
from sqlalchemy import select

from app.cli import build_parser
from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.privacy import consents, keys, sensitive
from app.privacy.cli import rotate
from app.privacy.models import DataKey, SensitiveValue
from app.settings import get_settings

ID_NUMBER = "11010519491231002X"


async def test_rotate_rewraps_and_reencrypts_and_every_value_still_opens(
    app: Litestar, tenant: TenantKit, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    owner = await actor(app, tenant, "owner")
    async with app.state.db.tenant_session(tenant.schema) as session:
        customer = await customers.create_customer(
            session, owner, CustomerInput(name="张无忌", mobile="13611112222")
        )
        await consents.record_consent(session, owner, customer.id, "sensitive_data", "paper", "2026-01")
        await sensitive.save_sensitive(session, owner, "customer", customer.id, {"id_card": ID_NUMBER})
    old_text = base64.b64encode(keys.master_keys()[0].key).decode()
    new_text = base64.b64encode(os.urandom(32)).decode()
    base = get_settings()

    def configure(current: str, *retired: str) -> None:
        configured = dataclasses.replace(base, data_master_key=current, data_master_keys_retired=retired)
        monkeypatch.setattr(keys, "get_settings", lambda: configured)

    configure(new_text, old_text)
    # Before the rotation runs, the app already reads values through the retired key.
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await sensitive.reveal(session, owner, "customer", customer.id, "id_card") == ID_NUMBER

    assert await rotate(app.state.db, reencrypt=True, batch_size=1, only=tenant.slug) == 0
    assert f"{tenant.slug}: 2 data keys re-wrapped, 1 values re-encrypted" in capsys.readouterr().out
    configure(new_text)
    keys._opened.clear()
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await sensitive.reveal(session, owner, "customer", customer.id, "id_card") == ID_NUMBER
        versions = (await session.scalars(select(DataKey.version).where(DataKey.purpose == "encrypt"))).all()
        stored = await session.scalar(
            select(SensitiveValue.key_version).where(SensitiveValue.record_id == customer.id)
        )
        assert sorted(versions) == [1, 2] and stored == 2
    # Run again: nothing left to re-wrap, and it says so rather than failing.
    assert await rotate(app.state.db, only=tenant.slug) == 0
    assert f"{tenant.slug}: 0 data keys re-wrapped" in capsys.readouterr().out


def test_the_command_line_knows_keys_rotate() -> None:
    args = build_parser().parse_args(["keys", "rotate", "--reencrypt", "--batch-size", "200"])
    assert (args.command, args.keys_command, args.reencrypt, args.batch_size) == ("keys", "rotate", True, 200)
