"""The audit log page: who changed what and when, filtered by entity, action, person and date."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.audit import service as audit
from app.audit.models import AuditRecord
from app.domain import Actor
from app.entities import entities, entity
from app.http.query_params import day_start, parse_day, parse_positive_int
from app.i18n import gettext as _
from web.controllers import custom_fields as custom_field_web
from web.controllers.common import DOMAIN_ERROR_HANDLERS, page
from web.controllers.labels import N_, display_value, field_label, field_order
from web.templating import DISPLAY_TZ

PAGE_SIZE = 50
ACTION_LABELS = {
    "create": N_("Create"),
    "update": N_("Update"),
    "delete": N_("Delete"),
    "restore": N_("Restore"),
    "revoke": N_("Revoke"),
    "transition": N_("Stage change"),  # a workflow move (app.workflows), on any workflow-driven entity
}


def action_keys() -> list[str]:
    """Every action the filter offers: the common ones, then those entities declare for themselves."""
    keys = dict.fromkeys(ACTION_LABELS)
    for spec in entities():
        keys.update(dict.fromkeys(spec.actions))
    return list(keys)


def entity_keys() -> list[str]:
    """Every entity the audit log can show, from the kit's registry (each area declares its own)."""
    return [spec.key for spec in entities()]


def action_label(action: str, entity_key: str | None = None) -> str:
    spec = entity(entity_key) if entity_key else None
    if spec is not None and action in spec.actions:
        return _(spec.actions[action])
    if action in ACTION_LABELS:
        return _(ACTION_LABELS[action])
    for other in entities():  # the filter names an action without its entity
        if action in other.actions:
            return _(other.actions[action])
    return action


class _Snapshot(dict[str, Any]):
    """An audit snapshot read like the record it was taken of (``title`` functions use attributes)."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def entity_title(key: str, entity_id: str, snapshot: dict[str, Any] | None = None) -> str:
    """How the audited record is named (a customer's name, an address's text), else its id's start."""
    spec = entity(key)
    if spec is not None and snapshot:
        try:
            title = spec.title_of(_Snapshot(snapshot))
        except (TypeError, ValueError, AttributeError):
            title = ""
        if title and title != str(snapshot.get("id") or ""):
            return title[:60]
    return entity_id[:8]


def entity_label(key: str) -> str:
    spec = entity(key)
    return _(spec.label) if spec is not None else key


def entity_link(key: str, entity_id: str, snapshot: dict[str, Any] | None = None) -> str | None:
    """The page of the audited record; a child's page is its parent's (ids from the snapshot)."""
    spec = entity(key)
    if spec is None or not spec.page:
        return None
    try:
        return spec.page.format(id=entity_id, **{k: v for k, v in (snapshot or {}).items() if k != "id"})
    except (KeyError, IndexError, ValueError):
        return None


def audit_labels() -> dict[str, Any]:
    """What templates showing audit records need (the audit page and a record's history)."""
    return {
        "action_label": action_label,
        "entity_label": entity_label,
        "entity_link": entity_link,
        "entity_title": entity_title,
    }


def change_summary(
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    names: dict[str, str],
    entity: str = "customer",
) -> list[dict[str, str]]:
    """The fields a record changed, display-ready: all set fields for a creation, else the differences."""
    before, after = before or {}, after or {}
    if action == "create":
        keys = [k for k in after if k != "version" and after[k] not in (None, "", [])]
    else:
        keys = [
            k for k in dict.fromkeys([*before, *after]) if k != "version" and before.get(k) != after.get(k)
        ]
    order = field_order(entity)
    keys.sort(key=lambda k: order.index(k) if k in order else len(order))
    return [
        {
            "field": field_label(key, entity),
            "before": ""
            if action == "create" or not before
            else display_value(key, before.get(key), names, entity),
            "after": display_value(key, after.get(key), names, entity),
        }
        for key in keys
    ]


def _staff_ids(records: Sequence[AuditRecord]) -> list[uuid.UUID]:
    found = []
    for record in records:
        for snapshot in (record.before, record.after):
            for key in ("owner_id", "user_id"):
                try:
                    found.append(uuid.UUID(str((snapshot or {}).get(key))))
                except ValueError:
                    continue
    return found


async def history_rows(
    session: AsyncSession, records: Sequence[AuditRecord]
) -> list[tuple[AuditRecord, list[dict[str, str]]]]:
    """Each record with its change summary; staff ids in the snapshots shown as names."""
    names = {str(k): v for k, v in (await accounts.staff_names(session, _staff_ids(records))).items()}
    rows = [(r, change_summary(r.action, r.before, r.after, names, r.entity)) for r in records]
    return await custom_field_web.label_history(session, rows)  # custom.<key> by the field's label


class AuditController(Controller):
    path = "/audit"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="AuditLogPage", name="audit.list")
    async def list_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """Audit records, newest first, with filters kept in the URL and "older" pages by id."""
        params = request.query_params
        kept: dict[str, str] = {}
        problems: list[str] = []

        def bad(label: str, value: str) -> None:
            problems.append(
                _("“%(value)s” is not a valid %(field)s; it was ignored.")
                % {"value": value[:40], "field": label}
            )

        entity = (params.get("entity") or "").strip()
        if entity and entity not in entity_keys():
            bad(_("Object"), entity)
            entity = ""
        action = (params.get("action") or "").strip()
        if action and action not in action_keys():
            bad(_("Action"), action)
            action = ""
        entity_id = (params.get("entity_id") or "").strip()[:64]
        actor_id = None
        if raw_actor := (params.get("actor") or "").strip():
            try:
                actor_id = uuid.UUID(raw_actor)
            except ValueError:
                bad(_("Staff member"), raw_actor)
        since = until = None
        for name, label in (("since", _("From")), ("until", _("To"))):
            if raw := (params.get(name) or "").strip():
                if (day := parse_day(raw)) is None:
                    bad(label, raw)
                elif name == "since":
                    since = day_start(day, DISPLAY_TZ)
                else:
                    until = day_start(day, DISPLAY_TZ, end=True)
                if day is not None:
                    kept[name] = raw
        before_id = None
        if raw_before := (params.get("before") or "").strip():
            if (before_id := parse_positive_int(raw_before)) is None:
                bad(_("Page"), raw_before)
        kept.update(
            {k: v for k, v in (("entity", entity), ("action", action), ("entity_id", entity_id)) if v}
        )
        if actor_id:
            kept["actor"] = str(actor_id)

        filters = audit.AuditFilter(
            entity=entity or None,
            entity_id=entity_id or None,
            actor_id=actor_id,
            action=action or None,
            since=since,
            until=until,
        )
        records = list(
            await audit.list_records(db_session, actor, filters, limit=PAGE_SIZE + 1, before_id=before_id)
        )
        older = records[PAGE_SIZE - 1].id if len(records) > PAGE_SIZE else None
        records = records[:PAGE_SIZE]

        def url(**changes: Any) -> str:
            query = urlencode({k: v for k, v in {**kept, **changes}.items() if v})
            return "/audit" + (f"?{query}" if query else "")

        ctx = page(
            request,
            actor,
            nav="audit",
            kept=kept,
            problems=problems,
            before_id=before_id,
            history=await history_rows(db_session, records),
            show_entity=True,
            older_url=url(before=older) if older else None,
            newest_url=url() if before_id else None,
            staff=await accounts.staff_directory(db_session),
            entities=entity_keys(),
            actions=action_keys(),
            **audit_labels(),
        )
        return Template("audit/list.html", context=ctx, status_code=400 if problems else 200)
