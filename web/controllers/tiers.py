"""The customer tier rules page (/settings/tiers), for holders of settings:manage: the switch, each
tier's conditions, a preview of where the customers would land (without saving) and the last nightly
pass. The rules are the tier service's (app.tiers.service)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain import Actor, ValidationFailed
from app.i18n import gettext as _
from app.kit.enums import N_
from app.tiers.rules import FIELDS, RULED_TIERS
from app.tiers.service import TierService
from web.controllers.common import DOMAIN_ERROR_HANDLERS, FormData, error_text, page

TIER_ERRORS = {
    "negative": N_("Must not be negative."),
    "not_a_number": N_("Enter a number."),
    "out_of_range": N_("Out of range: months 1-120, days 1-3650."),
    "below_lower_tier": N_("A higher tier must ask at least what a lower tier asks."),
    "same_as_lower_tier": N_("A higher tier must ask more than a lower tier."),
    "stale": N_("The rules changed since you opened this page; reload it and try again."),
    "required": N_("This field is required."),
}


def _errors(exc: ValidationFailed) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors:
        text = (
            _(TIER_ERRORS[error.code]) if error.code in TIER_ERRORS else error_text(error.code, error.message)
        )
        found.setdefault(error.field, text)
    return found


def _rules_from(data: FormData) -> dict[str, Any]:
    return {tier: {f: data.get(f"{tier}.{f}") for f in FIELDS} for tier in RULED_TIERS}


def _form(enabled: bool, rules: dict[str, Any], version: int) -> dict[str, Any]:
    form: dict[str, Any] = {"enabled": enabled, "version": version}
    for tier in RULED_TIERS:
        for f in FIELDS:
            value = (rules.get(tier) or {}).get(f)
            form[f"{tier}.{f}"] = "" if value is None else str(value)
    return form


async def _render(
    request: Request[Any, Any, Any], session: AsyncSession, actor: Actor, status: int = 200, **extra: Any
) -> Template:
    row = await TierService(session, actor).settings()
    ctx = page(
        request,
        actor,
        nav="tiers",
        settings=row,
        tiers=RULED_TIERS,
        **{
            "preview": None,
            "errors": {},
            "form": _form(row.enabled, row.rules or {}, row.version),
            "saved": request.query_params.get("saved"),
            **extra,
        },
    )
    return Template("tiers/settings.html", context=ctx, status_code=status)


class TierSettingsController(Controller):
    path = "/settings/tiers"
    exception_handlers = DOMAIN_ERROR_HANDLERS

    @get("/", operation_id="TierSettingsPage", name="tiers.settings")
    async def settings_page(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor
    ) -> Template:
        """The switch, the rules per tier and the last nightly pass."""
        return await _render(request, db_session, actor)

    @post("/", operation_id="SaveTierRules", name="tiers.save")
    async def save(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template | Redirect:
        """Save the rules (switched on: the customers are re-rated now); a refusal shows every bad
        field and keeps what was typed."""
        enabled, rules = bool(data.get("enabled")), _rules_from(data)
        raw = {
            "enabled": enabled,
            "release_manual": bool(data.get("release_manual")),
            "version": data.get("version"),
            "rules": rules,
        }
        try:
            await TierService(db_session, actor).save(raw)
        except ValidationFailed as exc:
            version = str(data.get("version") or "0")
            form = _form(enabled, rules, int(version) if version.isdigit() else 0)
            return await _render(request, db_session, actor, status=422, errors=_errors(exc), form=form)
        return Redirect("/settings/tiers?saved=1", status_code=303)

    @post("/preview", operation_id="PreviewTierRules", name="tiers.preview")
    async def preview(
        self, request: Request[Any, Any, Any], db_session: AsyncSession, actor: Actor, data: FormData
    ) -> Template:
        """Where the customers would land under the typed rules; nothing is saved."""
        rules = _rules_from(data)
        version = data.get("version") or "0"
        form = _form(bool(data.get("enabled")), rules, int(version) if str(version).isdigit() else 0)
        try:
            found = await TierService(db_session, actor).preview(rules)
        except ValidationFailed as exc:
            return await _render(request, db_session, actor, status=422, errors=_errors(exc), form=form)
        return await _render(request, db_session, actor, preview=found, form=form)
