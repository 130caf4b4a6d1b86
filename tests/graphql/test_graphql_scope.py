"""Data scope through GraphQL: a salesperson sees their own customers, a manager their team's, an admin all.

Out of scope reads exactly like absent (NotFoundError), so the API never confirms a record exists.
"""

from __future__ import annotations

from crm_testkit import TenantKit, integrator, logged_in, token_for
from gqlkit import create, names, operation
from litestar import Litestar


async def test_salesperson_cannot_read_update_or_list_a_colleagues_customer(
    app: Litestar, tenant: TenantKit
) -> None:
    """张伟 (team A) and 李娜 (team B): 李娜's customer does not exist as far as 张伟 is concerned."""
    hers = await create(app, tenant, "sales_b", name="李娜的客户", mobile="13500003333")
    mine = await create(app, tenant, "sales_a", name="张伟的客户")
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))

    read = (await zhang.gql(operation("GetCustomer"), {"id": str(hers.id)}))["data"]["customer"]
    assert read == {"__typename": "NotFoundError", "message": "Customer not found.", "id": str(hers.id)}
    update = await zhang.gql(
        operation("UpdateCustomer"), {"input": {"id": str(hers.id), "version": 1, "name": "改名"}}
    )
    assert update["data"]["updateCustomer"]["__typename"] == "NotFoundError"
    assert await names(zhang) == ["张伟的客户"]
    assert await names(zhang, filter={"search": "13500003333"}) == []
    # Asking for her customers by owner does not widen the scope either.
    assert await names(zhang, filter={"ownerId": str(tenant.people["sales_b"])}) == []

    # Nor can he hand his own customer to someone outside his scope.
    handed = await zhang.gql(
        operation("UpdateCustomer"),
        {"input": {"id": str(mine.id), "version": 1, "ownerId": str(tenant.people["sales_b"])}},
    )
    refusal = handed["data"]["updateCustomer"]
    assert refusal["__typename"] == "ValidationError"
    assert [(f["path"], f["code"]) for f in refusal["fields"]] == [
        (["input", "ownerId"], "owner_out_of_scope")
    ]

    # 李娜 still sees her customer unchanged.
    li = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    again = (await li.gql(operation("GetCustomer"), {"id": str(hers.id)}))["data"]["customer"]
    assert again["name"] == "李娜的客户" and again["version"] == 1


async def test_manager_sees_team_a_only_and_admin_sees_everyone(app: Litestar, tenant: TenantKit) -> None:
    """刘洋 manages 门店一组 (张伟, 王芳); 陈静's team B stays out of his lists and reads."""
    await create(app, tenant, "sales_a", name="一组张伟客户")
    await create(app, tenant, "sales_a2", name="一组王芳客户")
    team_b = await create(app, tenant, "sales_b", name="二组李娜客户")

    manager = await logged_in(app, tenant, "manager_a")  # the admin's session works the same way
    assert sorted(await names(manager)) == ["一组张伟客户", "一组王芳客户"]
    read = (await manager.gql(operation("GetCustomer"), {"id": str(team_b.id)}))["data"]["customer"]
    assert read["__typename"] == "NotFoundError"
    deleted = (await manager.gql(operation("DeleteCustomer"), {"id": str(team_b.id)}))["data"][
        "deleteCustomer"
    ]
    assert deleted["__typename"] == "NotFoundError"

    admin = integrator(app, tenant.host, await token_for(app, tenant, "admin"))
    assert sorted(await names(admin)) == ["一组张伟客户", "一组王芳客户", "二组李娜客户"]
    assert (await admin.gql(operation("GetCustomer"), {"id": str(team_b.id)}))["data"]["customer"][
        "name"
    ] == ("二组李娜客户")


async def test_viewer_reports_who_is_calling_and_their_scope(app: Litestar, tenant: TenantKit) -> None:
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    viewer = (await zhang.gql(operation("Viewer")))["data"]["viewer"]
    permissions = viewer.pop("permissions")
    assert viewer == {
        "id": str(tenant.people["sales_a"]),
        "name": "张伟",
        "email": tenant.email("sales_a"),
        "role": "sales",
        "dataScope": "own",
    }
    # A salesperson works customers (and, since the modules came, reads stock and takes orders),
    # but takes no list out and issues no tokens.
    assert {"customers:create", "customers:edit", "customers:read"} <= set(permissions)
    assert permissions == sorted(permissions)
    assert not {"customers:export", "tokens:create", "customers:delete"} & set(permissions)
