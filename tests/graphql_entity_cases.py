"""The generic GraphQL entity cases: what every entity's API owes an integrator, declared once.

An entity's test module subclasses ``GraphQLEntityCases`` and declares its mutations, the field its
payload carries the record in, a valid input (built from ``context()``, which makes the parents a
record needs), an update and a bad input with the error it must give. It inherits: create, update,
delete and restore through the API; a bad input as a typed ``ValidationError`` naming the input
path, with nothing written; a stale version as ``VersionConflictError``; a read-only role and a
read-only token refused; another team's manager, and another dealer's token, finding
nothing (``NotFoundError``), with the record unchanged. The service-level cases are in
``tests/entity_cases.py``; these check that the API face keeps the same promises.

An entity whose API has no delete or restore leaves ``delete``/``restore`` as None (the other cases
still apply). A tenant-wide entity (the catalog: every salesperson sells every product) sets
``scoped = False``: another team's manager then legitimately finds the record, and only another
dealer must not. A top-level entity with a list query declares ``list_query`` and a bad filter,
and inherits: the bad filter is a typed error naming the filter path, a page size over the cap is
refused or capped, and another dealer's list never holds the record.
"""

from __future__ import annotations

from typing import Any, ClassVar

from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

from app.accounts import repository as accounts_repo
from app.accounts import service as accounts


class GraphQLEntityCases:
    # Mutation names and the payload's field ("createContact", ..., "contact").
    create: ClassVar[str]
    update: ClassVar[str]
    delete: ClassVar[str | None] = None
    restore: ClassVar[str | None] = None
    payload_field: ClassVar[str]
    payload_type: ClassVar[str]  # "ContactPayload"
    # The fields read back from the payload (``id`` and ``version`` are always read).
    selection: ClassVar[str] = ""
    update_input: ClassVar[dict[str, Any]]
    # A bad input (merged into the valid one) and the (path, code) it must be refused with.
    bad_input: ClassVar[dict[str, Any]]
    bad_field: ClassVar[tuple[list[str], str]]
    writer: ClassVar[str] = "sales_a"
    deleter: ClassVar[str] = "manager_a"
    # Another team's manager: may edit and delete in general, but the writer's record is out of scope.
    outsider: ClassVar[str] = "manager_b"
    # False for a tenant-wide entity: everyone in the dealer may see every record.
    scoped: ClassVar[bool] = True
    # A list query ("orders") with a filter argument: the filter that must be refused and the
    # (path, code) of the refusal, and the list's result type holding ``items { id }``.
    list_query: ClassVar[str | None] = None
    list_filter_type: ClassVar[str] = ""  # "OrderFilter"
    bad_filter: ClassVar[dict[str, Any]] = {}
    bad_filter_field: ClassVar[tuple[list[str], str]] = ([], "")

    async def context(self, app: Litestar, tenant: TenantKit) -> dict[str, Any]:
        """What the valid input needs that must exist first (a parent record's id)."""
        return {}

    def valid_input(self, context: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------------

    def _mutation(self, name: str, *, by_id: bool = False) -> str:
        argument, variable = ("id", "ID!") if by_id else ("input", _input_type(name))
        return (
            f"mutation($arg: {variable}) {{ {name}({argument}: $arg) {{ __typename "
            f"... on {self.payload_type} {{ {self.payload_field} {{ id version {self.selection} }} }} "
            "... on ValidationError { fields { path code } } } }"
        )

    async def _call(self, client: Any, name: str, arg: Any, *, by_id: bool = False) -> dict[str, Any]:
        result = await client.gql(self._mutation(name, by_id=by_id), {"arg": arg})
        assert "errors" not in result, result
        answer: dict[str, Any] = result["data"][name]
        return answer

    async def _created(self, app: Litestar, tenant: TenantKit) -> tuple[Any, dict[str, Any]]:
        client = integrator(app, tenant.host, await token_for(app, tenant, self.writer))
        made = await self._call(client, self.create, self.valid_input(await self.context(app, tenant)))
        assert made["__typename"] == self.payload_type, made
        return client, made[self.payload_field]

    # -- the cases ---------------------------------------------------------------------------------

    async def test_api_create_update_delete_and_restore(self, app: Litestar, tenant: TenantKit) -> None:
        client, record = await self._created(app, tenant)
        assert record["version"] == 1
        changed = await self._call(
            client, self.update, {"id": record["id"], "version": 1, **self.update_input}
        )
        assert changed["__typename"] == self.payload_type, changed
        assert changed[self.payload_field]["version"] == 2
        manager = integrator(app, tenant.host, await token_for(app, tenant, self.deleter))
        if self.delete is not None:
            deleted = await self._call(manager, self.delete, record["id"], by_id=True)
            assert deleted["__typename"] == self.payload_type, deleted
        if self.restore is not None:
            restored = await self._call(manager, self.restore, record["id"], by_id=True)
            assert restored["__typename"] == self.payload_type, restored

    async def test_api_bad_input_is_a_typed_error_naming_the_field(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        client = integrator(app, tenant.host, await token_for(app, tenant, self.writer))
        refused = await self._call(
            client, self.create, {**self.valid_input(await self.context(app, tenant)), **self.bad_input}
        )
        assert refused["__typename"] == "ValidationError", refused
        path, code = self.bad_field
        assert [path, code] in [[f["path"], f["code"]] for f in refused["fields"]], refused

    async def test_api_stale_version_is_a_conflict(self, app: Litestar, tenant: TenantKit) -> None:
        client, record = await self._created(app, tenant)
        first = await self._call(client, self.update, {"id": record["id"], "version": 1, **self.update_input})
        assert first["__typename"] == self.payload_type
        stale = await self._call(client, self.update, {"id": record["id"], "version": 1, **self.update_input})
        assert stale["__typename"] == "VersionConflictError", stale

    async def test_api_read_only_role_and_token_cannot_write(self, app: Litestar, tenant: TenantKit) -> None:
        _, record = await self._created(app, tenant)
        viewer = integrator(app, tenant.host, await token_for(app, tenant, "viewer"))
        refused = await self._call(
            viewer, self.update, {"id": record["id"], "version": 1, **self.update_input}
        )
        assert refused["__typename"] in ("PermissionDeniedError", "NotFoundError"), refused
        async with app.state.db.tenant_session(tenant.schema) as session:
            writer = await accounts_repo.user_by_id(session, tenant.people[self.writer])
            assert writer is not None
            plaintext, _ = await accounts.create_api_token(
                session, writer, tenant_slug=tenant.slug, name="read only", scopes="read"
            )
        read_only = integrator(app, tenant.host, plaintext)
        refused = await self._call(
            read_only, self.update, {"id": record["id"], "version": 1, **self.update_input}
        )
        assert refused["__typename"] == "PermissionDeniedError", refused
        made = await self._call(read_only, self.create, self.valid_input(await self.context(app, tenant)))
        assert made["__typename"] == "PermissionDeniedError", made

    async def test_api_out_of_scope_and_other_dealers_find_nothing(
        self, app: Litestar, tenant: TenantKit, other_tenant: TenantKit
    ) -> None:
        _, record = await self._created(app, tenant)
        attackers = [integrator(app, other_tenant.host, await token_for(app, other_tenant, "owner"))]
        if self.scoped:
            attackers.append(integrator(app, tenant.host, await token_for(app, tenant, self.outsider)))
        for client in attackers:
            changed = await self._call(
                client, self.update, {"id": record["id"], "version": 1, **self.update_input}
            )
            assert changed["__typename"] == "NotFoundError", changed
            if self.delete is not None:
                deleted = await self._call(client, self.delete, record["id"], by_id=True)
                assert deleted["__typename"] == "NotFoundError", deleted
        writer = integrator(app, tenant.host, await token_for(app, tenant, self.writer))
        unchanged = await self._call(
            writer, self.update, {"id": record["id"], "version": 1, **self.update_input}
        )
        assert unchanged["__typename"] == self.payload_type, "the attacks changed the record"

    # -- list cases (entities declaring ``list_query``) ----------------------------------------------

    def _list(self, *, first: int | None = None) -> str:
        size = f", first: {first}" if first is not None else ""
        return (
            f"query($filter: {self.list_filter_type}) {{ {self.list_query}(filter: $filter{size}) "
            "{ edges { node { id } } totalCount } }"
        )

    def _ids(self, result: dict[str, Any]) -> list[str]:
        assert self.list_query is not None
        return [edge["node"]["id"] for edge in result["data"][self.list_query]["edges"]]

    async def test_api_list_bad_filter_is_an_input_error_naming_the_filter(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        if self.list_query is None:
            return
        client = integrator(app, tenant.host, await token_for(app, tenant, self.writer))
        result = await client.gql(self._list(), {"filter": self.bad_filter})
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        path, code = self.bad_filter_field
        assert [path, code] in [[f["path"], f["code"]] for f in error["extensions"]["fields"]], error

    async def test_api_list_caps_its_page_and_hides_other_dealers_records(
        self, app: Litestar, tenant: TenantKit, other_tenant: TenantKit
    ) -> None:
        if self.list_query is None:
            return
        writer, record = await self._created(app, tenant)
        assert record["id"] in self._ids(await writer.gql(self._list(), {"filter": None}))
        # A page is at most 100 records: more is refused as the caller's input, never served.
        [error] = (await writer.gql(self._list(first=1000), {"filter": None}))["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        stranger = integrator(app, other_tenant.host, await token_for(app, other_tenant, "owner"))
        result = await stranger.gql(self._list(), {"filter": None})
        assert "errors" not in result, result
        assert record["id"] not in self._ids(result)


def _input_type(mutation: str) -> str:
    """``createContact`` → ``CreateContactInput!`` (the schema's naming convention)."""
    return mutation[:1].upper() + mutation[1:] + "Input!"
