"""The admin pages of follow-ups, tasks and notifications, as 张伟 (sales_a) and 刘洋 (manager_a)
use them: the follow-up section on a customer's page, the work list with a task form, the bell,
the notification list (opening one marks it read and goes where it points), settings, and the home
card. Bad input comes back in the form with nothing written."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from crm_testkit import TenantKit, actor, form_errors, logged_in
from litestar import Litestar
from reminder_kit import due_follow_ups
from sqlalchemy import func, select

from app.customers import service as customers
from app.customers.validation import CustomerInput
from app.followups.models import FollowUp, Task
from app.followups.reminders import remind_tenant


async def _customer(app: Litestar, kit: TenantKit, who: str, name: str) -> uuid.UUID:
    async with app.state.db.tenant_session(kit.schema) as session:
        made = await customers.create_customer(session, await actor(app, kit, who), CustomerInput(name=name))
        return made.id


def _local(moment: datetime) -> str:
    return (moment + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")


async def test_logging_a_follow_up_on_the_customer_page(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant, "sales_a", "王秀英")
    zhang = await logged_in(app, tenant, "sales_a")
    form = await zhang.htmx("GET", f"/customers/{customer}/follow-ups/new")
    assert form.status_code == 200 and 'type="datetime-local"' in form.text and 'name="next_at"' in form.text
    # A next time in the past is refused in the form, with the input kept and nothing written.
    refused = await zhang.htmx(
        "POST",
        f"/customers/{customer}/follow-ups",
        {"channel": "call", "summary": "问了安装时间", "next_at": "2020-01-01T09:00"},
    )
    assert refused.status_code == 422
    assert form_errors(refused.text) == ["时间不能早于现在。"] and "问了安装时间" in refused.text
    soon = datetime.now(UTC) + timedelta(days=1)
    saved = await zhang.htmx(
        "POST",
        f"/customers/{customer}/follow-ups",
        {"channel": "wechat", "summary": "问了安装时间", "outcome": "interested", "next_at": _local(soon)},
    )
    assert saved.status_code == 200 and "follow-ups-changed" in saved.headers["HX-Trigger"]
    section = await zhang.htmx("GET", f"/customers/{customer}/follow-ups")
    assert "问了安装时间" in section.text and "微信" in section.text and "意向" in section.text
    assert "下次跟进" in section.text
    # The same customer's page is closed to 李娜 (another team): the section reads as absent.
    li = await logged_in(app, tenant, "sales_b")
    assert (await li.htmx("GET", f"/customers/{customer}/follow-ups")).status_code == 404


async def test_the_work_list_a_task_form_and_completing_a_task(app: Litestar, tenant: TenantKit) -> None:
    customer = await _customer(app, tenant, "sales_a", "王秀英")
    await due_follow_ups(app, tenant, "sales_a", 1, customers=1, minutes_ago=1)
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get("/work")
    assert page.status_code == 200 and "今天" in page.text and "已逾期" in page.text
    assert "提醒客户" in page.text  # today's planned follow-up, named by its customer
    form = await zhang.htmx("GET", "/work/tasks/new")
    assert 'name="owner_id"' in form.text and "王芳" in form.text  # colleagues to assign to
    refused = await zhang.htmx("POST", "/work/tasks", {"title": "", "due_at": "2020-01-01T09:00"})
    assert refused.status_code == 422 and len(form_errors(refused.text)) == 2
    due = datetime.now(UTC) + timedelta(hours=2)
    made = await zhang.htmx("POST", "/work/tasks", {"title": "送安装单给王秀英", "due_at": _local(due)})
    assert made.status_code == 200
    async with app.state.db.tenant_session(tenant.schema) as session:
        task = await session.scalar(select(Task).where(Task.title == "送安装单给王秀英"))
        assert task is not None and task.owner_id == tenant.people["sales_a"]
    assert "送安装单给王秀英" in (await zhang.get("/work")).text
    done = await zhang.htmx("POST", f"/work/tasks/{task.id}/complete", {"version": str(task.version)})
    assert done.status_code == 200
    assert "送安装单给王秀英" not in (await zhang.get("/work")).text
    # 李娜 cannot complete 张伟's task: it reads as absent.
    li = await logged_in(app, tenant, "sales_b")
    assert (await li.htmx("POST", f"/work/tasks/{task.id}/complete", {"version": "2"})).status_code == 404
    del customer


async def test_the_bell_the_list_and_opening_a_notification(app: Litestar, tenant: TenantKit) -> None:
    ids = await due_follow_ups(app, tenant, "sales_a", 3, customers=1)
    await remind_tenant(app.state.db, tenant.schema)
    zhang = await logged_in(app, tenant, "sales_a")
    home = await zhang.get("/")
    assert 'hx-get="/notifications/bell"' in home.text  # the top bar loads the bell
    bell = await zhang.get("/notifications/bell")
    assert re.search(r'class="badge"[^>]*>3<', bell.text)
    listing = await zhang.get("/notifications")
    assert listing.status_code == 200 and listing.text.count("跟进客户：提醒客户") == 3
    first = re.search(r'href="/notifications/([0-9a-f-]{36})"', listing.text)
    assert first is not None
    opened = await zhang.get(f"/notifications/{first.group(1)}")
    # Opening one marks it read and goes to the customer's follow-ups.
    assert opened.status_code == 303 and opened.headers["location"].endswith("#follow-ups")
    assert re.search(r'class="badge"[^>]*>2<', (await zhang.get("/notifications/bell")).text)
    # 王芳 (same team) cannot open 张伟's notification.
    wang = await logged_in(app, tenant, "sales_a2")
    assert (await wang.get(f"/notifications/{first.group(1)}")).status_code == 404
    marked = await zhang.post_form("/notifications/read", {"all": "1"})
    assert marked.status_code == 303
    assert 'class="badge"' not in (await zhang.get("/notifications/bell")).text
    assert len(ids) == 3


async def test_notification_settings_are_saved_per_kind_and_channel(app: Litestar, tenant: TenantKit) -> None:
    zhang = await logged_in(app, tenant, "sales_a")
    page = await zhang.get("/notifications/preferences")
    assert 'name="follow_up.due:in_app" aria-label="计划的跟进到期 · 站内" checked' in page.text
    saved = await zhang.post_form("/notifications/preferences", {"follow_up.due:email": "on"})
    assert saved.status_code == 200 and "设置已保存" in saved.text
    assert 'name="follow_up.due:email" aria-label="计划的跟进到期 · 邮箱" checked' in saved.text
    # Unticked is off: the in-app box was not sent, so it is off now.
    assert 'name="follow_up.due:in_app" aria-label="计划的跟进到期 · 站内" >' in saved.text


async def test_the_home_card_lists_what_is_due(app: Litestar, tenant: TenantKit) -> None:
    await due_follow_ups(app, tenant, "sales_a", 2, customers=2)
    zhang = await logged_in(app, tenant, "sales_a")
    home = await zhang.get("/")
    assert 'data-card="followups_due"' in home.text and home.text.count("提醒客户") >= 2
    async with app.state.db.tenant_session(tenant.schema) as session:
        assert await session.scalar(select(func.count()).select_from(FollowUp)) == 2
