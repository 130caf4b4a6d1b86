"""The dealer's letterhead on printed quotes: the tenant's name (from the platform), and the
address, phone and logo the dealer keeps in its settings (``letterhead``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.permissions import SETTINGS_MANAGE
from app.audit import service as audit
from app.domain import Actor, PermissionDenied, ValidationFailed
from app.kit.fields import Errors, Text
from app.kit.service import unit_of_work
from app.tenant_settings.models import TenantSetting

LETTERHEAD = "letterhead"
MAX_LOGO_BYTES = 200_000
PNG, JPEG = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


@dataclass(frozen=True)
class Letterhead:
    address: str = ""
    phone: str = ""
    logo_png: bytes | None = None  # PNG or JPEG bytes; None: no logo

    def to_json(self) -> dict[str, Any]:
        logo = base64.b64encode(self.logo_png).decode() if self.logo_png else None
        return {"address": self.address, "phone": self.phone, "logo": logo}


async def letterhead(session: AsyncSession) -> Letterhead:
    row = await session.get(TenantSetting, LETTERHEAD)
    if row is None:
        return Letterhead()
    value = dict(row.value)
    logo = base64.b64decode(value["logo"]) if value.get("logo") else None
    return Letterhead(str(value.get("address") or ""), str(value.get("phone") or ""), logo)


async def set_letterhead(
    session: AsyncSession, actor: Actor, address: Any, phone: Any, logo: bytes | str | None = None
) -> Letterhead:
    """Keep the address, phone and (optionally) logo printed on quotes; ``logo=""`` removes it."""
    if not actor.can(SETTINGS_MANAGE):
        raise PermissionDenied(SETTINGS_MANAGE)
    errors = Errors()
    cleaned_address = Text(max_length=120).clean(errors, "address", address) or ""
    cleaned_phone = Text(max_length=40).clean(errors, "phone", phone) or ""
    async with unit_of_work(session):
        current = await letterhead(session)
        image = current.logo_png
        if isinstance(logo, str):
            try:
                logo = base64.b64decode(logo, validate=True) if logo else b""
            except (binascii.Error, ValueError):
                errors.add("logo", "invalid_image", "must be a PNG or JPEG image")
                logo = None
        if logo == b"":
            image = None
        elif logo is not None:
            if len(logo) > MAX_LOGO_BYTES:
                errors.add("logo", "too_large", f"must be at most {MAX_LOGO_BYTES // 1000} KB")
            elif not (logo.startswith(PNG) or logo.startswith(JPEG)):
                errors.add("logo", "invalid_image", "must be a PNG or JPEG image")
            else:
                image = logo
        if errors.items:
            raise ValidationFailed(list(errors.items))
        found = Letterhead(cleaned_address, cleaned_phone, image)
        row = await session.get(TenantSetting, LETTERHEAD)
        before = None
        if row is None:
            session.add(TenantSetting(key=LETTERHEAD, value=found.to_json(), updated_by=actor.user_id))
        else:
            before = {"address": current.address, "phone": current.phone, "logo": bool(current.logo_png)}
            row.value = found.to_json()
            row.updated_by = actor.user_id
        after = {"address": found.address, "phone": found.phone, "logo": bool(found.logo_png)}
        audit.record(
            session,
            actor,
            entity="settings",
            entity_id=LETTERHEAD,
            action="update",
            before=before,
            after=after,
        )
    return found
