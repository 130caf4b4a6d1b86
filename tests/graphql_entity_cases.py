"""The generic GraphQL entity cases: what every entity's API owes an integrator, declared once.

An entity's test module subclasses ``GraphQLEntityCases`` and declares its mutations, the field its
payload carries the record in, a valid input (built from ``context()``, which makes the parents a
record needs), an update and a bad input with the error it must give. It inherits: create, update,
delete and restore through the API; a bad input as a typed ``ValidationError`` naming the input
path, with nothing written; a stale version as ``VersionConflictError``; a read-only role and a
read-only token refused; another team's manager, and another dealer's token, finding
nothing (``NotFoundError``), with the record unchanged. The service-level cases are in
``tests/entity_cases.py``; these check that the API face keeps the same promises.
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
    delete: ClassVar[str]
    restore: ClassVar[str]
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
        deleted = await self._call(manager, self.delete, record["id"], by_id=True)
        assert deleted["__typename"] == self.payload_type, deleted
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
        for client in (
            integrator(app, tenant.host, await token_for(app, tenant, self.outsider)),
            integrator(app, other_tenant.host, await token_for(app, other_tenant, "owner")),
        ):
            changed = await self._call(
                client, self.update, {"id": record["id"], "version": 1, **self.update_input}
            )
            assert changed["__typename"] == "NotFoundError", changed
            deleted = await self._call(client, self.delete, record["id"], by_id=True)
            assert deleted["__typename"] == "NotFoundError", deleted
        writer = integrator(app, tenant.host, await token_for(app, tenant, self.writer))
        unchanged = await self._call(
            writer, self.update, {"id": record["id"], "version": 1, **self.update_input}
        )
        assert unchanged["__typename"] == self.payload_type, "the attacks changed the record"


def _input_type(mutation: str) -> str:
    """``createContact`` → ``CreateContactInput!`` (the schema's naming convention)."""
    return mutation[:1].upper() + mutation[1:] + "Input!"
