"""The generic admin cases of a child entity's section (contacts, addresses on a customer).

A test class sets ``entity`` (its key), ``form`` (valid form data), ``bad_form`` (data and the field
whose message must show), ``update_form``, and ``parent(app, kit, who)`` making a parent record
the writer can see. It inherits: the section lists what was added; the drawer form round-trips;
bad input comes back inline with a 422 and nothing written; a stale form is a 409 that keeps the
input; delete offers an undo and restore brings it back; someone outside the parent's scope gets
404 on every route; a read-only role cannot add.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from crm_testkit import TenantKit, form_errors, logged_in
from litestar import Litestar
from sqlalchemy import func, select

from app.kit.registry import entity


class ChildAdminCases:
    entity: ClassVar[str]
    form: ClassVar[dict[str, str]]
    update_form: ClassVar[dict[str, str]]
    bad_form: ClassVar[tuple[dict[str, str], str]]
    shown_text: ClassVar[str]  # what the section shows of ``form``
    writer: ClassVar[str] = "sales_a"
    deleter: ClassVar[str] = "manager_a"  # salespeople may not delete; their team's manager may
    outsider: ClassVar[str] = "sales_b"
    read_only: ClassVar[str] = "viewer"

    async def parent(self, app: Litestar, kit: TenantKit, who: str) -> uuid.UUID:
        raise NotImplementedError

    def _url(self, parent_id: uuid.UUID) -> str:
        spec = entity(self.entity)
        assert spec is not None and spec.parent
        parent = entity(spec.parent)
        assert parent is not None and parent.nav is not None
        return f"{parent.nav.path}/{parent_id}/{spec.slug}"

    async def _count(self, app: Litestar, kit: TenantKit) -> int:
        spec = entity(self.entity)
        assert spec is not None
        async with app.state.db.tenant_session(kit.schema) as session:
            return int(await session.scalar(select(func.count()).select_from(spec.model)) or 0)

    async def _add(self, app: Litestar, kit: TenantKit) -> tuple[Any, str, str]:
        """Add one through the drawer; the client, the section URL and the new record's id."""
        client = await logged_in(app, kit, self.writer)
        url = self._url(await self.parent(app, kit, self.writer))
        response = await client.htmx("POST", url, data=self.form)
        assert response.status_code == 200, response.text
        spec = entity(self.entity)
        assert spec is not None
        events = json.loads(response.headers["hx-trigger"])
        return client, url, events[f"{spec.slug}-changed"]

    async def test_added_records_show_in_the_section(self, app: Litestar, tenant: TenantKit) -> None:
        client, url, record_id = await self._add(app, tenant)
        section = await client.get(url)
        assert section.status_code == 200
        assert self.shown_text in section.text
        assert f"{url}/{record_id}/edit" in section.text

    async def test_the_drawer_form_round_trips(self, app: Litestar, tenant: TenantKit) -> None:
        client, url, record_id = await self._add(app, tenant)
        blank = await client.htmx("GET", f"{url}/new", headers={"HX-Target": "drawer"})
        assert blank.status_code == 200 and 'name="_csrf"' in blank.text
        filled = await client.htmx("GET", f"{url}/{record_id}/edit")
        assert filled.status_code == 200 and 'name="version" value="1"' in filled.text
        saved = await client.htmx(
            "POST", f"{url}/{record_id}", data={**self.form, **self.update_form, "version": "1"}
        )
        assert saved.status_code == 200, saved.text
        assert "toast" in json.loads(saved.headers["hx-trigger"])

    async def test_bad_input_comes_back_inline_and_nothing_is_written(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        client = await logged_in(app, tenant, self.writer)
        url = self._url(await self.parent(app, tenant, self.writer))
        before = await self._count(app, tenant)
        data, field = self.bad_form
        response = await client.htmx("POST", url, data={**self.form, **data})
        assert response.status_code == 422
        assert f'id="e-{field}"' in response.text and form_errors(response.text)
        assert await self._count(app, tenant) == before

    async def test_a_stale_form_is_a_conflict_that_keeps_the_input(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        client, url, record_id = await self._add(app, tenant)
        first = await client.htmx(
            "POST", f"{url}/{record_id}", data={**self.form, **self.update_form, "version": "1"}
        )
        assert first.status_code == 200
        stale = await client.htmx("POST", f"{url}/{record_id}", data={**self.form, "version": "1"})
        assert stale.status_code == 409
        # The user's input is still in the form, and the form now carries the current version.
        assert 'name="version" value="2"' in stale.text

    async def test_delete_offers_undo_and_restore_brings_it_back(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        _, url, record_id = await self._add(app, tenant)
        client = await logged_in(app, tenant, self.deleter)
        deleted = await client.htmx("POST", f"{url}/{record_id}/delete")
        undo = json.loads(deleted.headers["hx-trigger"])["toast-undo"]
        assert undo["url"] == f"{url}/{record_id}/restore"
        assert self.shown_text not in (await client.get(url)).text
        restored = await client.htmx("POST", undo["url"])
        assert restored.status_code == 200
        assert self.shown_text in (await client.get(url)).text

    async def test_outside_the_parents_scope_every_route_reads_as_absent(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        _, url, record_id = await self._add(app, tenant)
        outsider = await logged_in(app, tenant, self.outsider)
        for method, path in (
            ("GET", url),
            ("GET", f"{url}/new"),
            ("POST", url),
            ("GET", f"{url}/{record_id}/edit"),
            ("POST", f"{url}/{record_id}"),
            ("POST", f"{url}/{record_id}/delete"),
            ("POST", f"{url}/{record_id}/restore"),
        ):
            response = await outsider.htmx(method, path, data=self.form if method == "POST" else None)
            assert response.status_code == 404, (method, path, response.status_code)

    async def test_a_read_only_role_cannot_add(self, app: Litestar, tenant: TenantKit) -> None:
        url = self._url(await self.parent(app, tenant, self.writer))
        viewer = await logged_in(app, tenant, self.read_only)
        before = await self._count(app, tenant)
        response = await viewer.htmx("POST", url, data=self.form)
        assert response.status_code == 403
        assert await self._count(app, tenant) == before
