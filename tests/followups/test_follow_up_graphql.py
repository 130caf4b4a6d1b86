"""Follow-ups, tasks and notifications through the API, as 张伟's ERP uses them: the example
operations in graphql/operations run, refusals are typed errors with input paths, scope holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crm_testkit import TenantKit, actor, integrator, token_for
from litestar import Litestar

from app.customers import service as customers
from app.customers.models import Customer
from app.customers.validation import CustomerInput

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"
MINE = {
    "LogFollowUp",
    "ListFollowUps",
    "CreateTask",
    "CompleteTask",
    "ListTasks",
    "WorkList",
    "ListNotifications",
    "MarkNotificationsRead",
}


async def create(app: Litestar, kit: TenantKit, who: str, name: str) -> Customer:
    async with app.state.db.tenant_session(kit.schema) as session:
        return await customers.create_customer(session, await actor(app, kit, who), CustomerInput(name=name))


def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def test_the_example_operations_log_plan_assign_and_read(app: Litestar, tenant: TenantKit) -> None:
    """张伟 logs a call with 王秀英 and plans the next one; 刘洋 gives him a task; 张伟 sees both on
    his work list, reads the notification, and completes the task."""
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    liu = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    customer = await create(app, tenant, "sales_a", "王秀英")
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    logged = await zhang.gql(
        op("LogFollowUp"),
        {
            "input": {
                "customerId": str(customer.id),
                "channel": "WECHAT",
                "summary": "发了海尔冰箱报价",
                "outcome": "INTERESTED",
                "nextAt": later,
            }
        },
    )
    follow_up = logged["data"]["logFollowUp"]["followUp"]
    assert (follow_up["channel"], follow_up["outcome"]) == ("WECHAT", "INTERESTED")
    listed = await zhang.gql(op("ListFollowUps"), {"customerId": str(customer.id)})
    assert [e["node"]["summary"] for e in listed["data"]["followUps"]["edges"]] == ["发了海尔冰箱报价"]

    made = await liu.gql(
        op("CreateTask"),
        {
            "input": {
                "title": "给王秀英送安装单",
                "dueAt": later,
                "assigneeId": str(tenant.people["sales_a"]),
                "customerId": str(customer.id),
            }
        },
    )
    task = made["data"]["createTask"]["task"]
    tasks = await zhang.gql(op("ListTasks"))
    assert [e["node"]["title"] for e in tasks["data"]["tasks"]["edges"]] == ["给王秀英送安装单"]
    work = (await zhang.gql(op("WorkList")))["data"]["workList"]
    assert {(i["kind"], i["title"]) for i in work["today"] + work["upcoming"]} == {
        ("follow_up", "王秀英"),
        ("task", "给王秀英送安装单"),
    }

    told = (await zhang.gql(op("ListNotifications"), {"unreadOnly": True}))["data"]["notifications"]
    assert told["unreadCount"] == 1
    [notification] = [e["node"] for e in told["edges"]]
    # Shown in the reader's language (zh_CN by default), with the names filled in.
    assert notification["title"] == "刘洋 给你分配了任务：给王秀英送安装单"
    read = await zhang.gql(op("MarkNotificationsRead"), {"ids": [notification["id"]]})
    assert read["data"]["markNotificationsRead"] == {
        "__typename": "MarkNotificationsReadPayload",
        "marked": 1,
        "unreadCount": 0,
    }
    done = await zhang.gql(op("CompleteTask"), {"id": task["id"], "version": task["version"]})
    assert done["data"]["completeTask"]["task"]["doneAt"] is not None
    assert (await zhang.gql(op("ListTasks")))["data"]["tasks"]["edges"] == []


async def test_refusals_are_typed_errors_with_input_paths(app: Litestar, tenant: TenantKit) -> None:
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    customer = await create(app, tenant, "sales_a", "王秀英")
    result = await zhang.gql(
        op("LogFollowUp"),
        {
            "input": {
                "customerId": str(customer.id),
                "channel": "CALL",
                "summary": "",
                "nextAt": "2020-01-01T09:00:00+08:00",
            }
        },
    )
    refused = result["data"]["logFollowUp"]
    assert refused["__typename"] == "ValidationError"
    assert {(tuple(f["path"]), f["code"]) for f in refused["fields"]} == {
        (("input", "summary"), "required"),
        (("input", "nextAt"), "in_the_past"),
    }
    stale = await zhang.gql(op("CreateTask"), {"input": {"title": "x", "dueAt": "2020-01-01T09:00:00+08:00"}})
    assert stale["data"]["createTask"]["fields"][0]["code"] == "in_the_past"


async def test_another_team_sees_nothing_and_marks_nothing(app: Litestar, tenant: TenantKit) -> None:
    """李娜 (another team) neither reads 张伟's customer's follow-ups nor marks his notifications read."""
    zhang = integrator(app, tenant.host, await token_for(app, tenant, "sales_a"))
    li = integrator(app, tenant.host, await token_for(app, tenant, "sales_b"))
    liu = integrator(app, tenant.host, await token_for(app, tenant, "manager_a"))
    customer = await create(app, tenant, "sales_a", "王秀英")
    await zhang.gql(
        op("LogFollowUp"), {"input": {"customerId": str(customer.id), "channel": "CALL", "summary": "报价"}}
    )
    seen = await li.gql(op("ListFollowUps"), {"customerId": str(customer.id)})
    assert seen["data"]["followUps"]["totalCount"] == 0
    logged = await li.gql(
        op("LogFollowUp"), {"input": {"customerId": str(customer.id), "channel": "CALL", "summary": "x"}}
    )
    assert logged["data"]["logFollowUp"]["fields"][0]["code"] == "unknown_customer"
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await liu.gql(
        op("CreateTask"),
        {"input": {"title": "回访", "dueAt": later, "assigneeId": str(tenant.people["sales_a"])}},
    )
    [notification] = (await zhang.gql(op("ListNotifications")))["data"]["notifications"]["edges"]
    marked = await li.gql(op("MarkNotificationsRead"), {"ids": [notification["node"]["id"]]})
    assert marked["data"]["markNotificationsRead"]["marked"] == 0
    assert (await zhang.gql(op("ListNotifications")))["data"]["notifications"]["unreadCount"] == 1


def test_every_operation_of_this_area_is_exercised() -> None:
    texts = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    for name in MINE:
        assert (OPERATIONS / f"{name}.graphql").exists(), name
        assert f'op("{name}")' in texts, name
