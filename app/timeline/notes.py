"""Quick notes on a customer: text, @mentions of colleagues, attachments stored per tenant.

Notes are a child entity on the kit (visible with their customer; created, edited, deleted and
audited by the kit's verbs), shown on the customer's timeline rather than as a section of their own.
A colleague named as ``@孙浩`` (an active staff member's name) is recorded in ``mentions`` and
told through the notification centre (app.notifications, kind ``note.mentioned``) in the same
transaction as the note: both are saved, or neither.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.customers.models import Customer
from app.domain import Actor
from app.kit import attachments as files
from app.kit.attachments import Upload
from app.kit.enums import N_
from app.kit.fields import Fields, Ref, Text
from app.kit.registry import EntitySpec, register
from app.kit.scope import ParentScope
from app.kit.service import EntityService
from app.notifications.kinds import IN_APP, Kind, register_kind
from app.notifications.service import notify
from app.timeline.models import CustomerNote

NOTE_MAX_LENGTH = 2000
# A note's files (app.kit.attachments): five of at most 10 MB, under the tenant's "attachments".
NOTE_FILES = files.declare("note", files.AttachmentRule(area="attachments", max_files=5))
MAX_ATTACHMENTS = NOTE_FILES.max_files
MAX_ATTACHMENT_BYTES = NOTE_FILES.max_bytes
ATTACHMENTS_AREA = NOTE_FILES.area
# "@" then a name: CJK characters, letters, digits, dots, hyphens (up to the next space or punctuation).
MENTION_RE = re.compile(r"@([\w\u4e00-\u9fff.\-]{1,60})")

MENTIONED = register_kind(
    Kind("note.mentioned", N_("A colleague mentioned me in a note"), "customers", (IN_APP,))
)
MENTIONED_TITLE = N_("%(who)s mentioned you in a note on %(customer)s")

SPEC = register(
    EntitySpec(
        key="note",
        label=N_("Note"),
        plural=N_("Notes"),
        module="customers",
        model=CustomerNote,
        fields={"customer_id": N_("Customer"), "body": N_("Note")},
        errors={
            "too_many_files": N_("At most 5 files can be attached to a note."),
            "file_too_large": N_("A file can be at most 10 MB."),
            "empty_file": N_("The file is empty."),
        },
        page="/customers/{customer_id}#timeline",
        staff_fields=(),
        parent="customer",
        parent_field="customer_id",
        slug="notes",
        section_order=90,
        # Notes are read on the customer's timeline, not in a section of their own.
        shown_on=lambda customer: False,
        title=lambda note: (note.body or "")[:40],
    )
)


class NoteService(EntityService[CustomerNote]):
    spec = SPEC
    model = CustomerNote
    fields = Fields(
        {
            "customer_id": Ref(required=True),
            "body": Text(required=True, max_length=NOTE_MAX_LENGTH, multiline=True),
        }
    )
    scope = ParentScope(Customer, "customer_id", "customer")
    create_only = ("customer_id",)
    section_order_by = ("-created_at",)

    def __init__(self, session: AsyncSession, actor: Actor) -> None:
        super().__init__(session, actor)
        self.attachments: list[dict[str, Any]] = []  # stored files of the note being created

    async def before_create(self, values: dict[str, Any]) -> None:
        values["mentions"] = await mentioned(self.session, values["body"])
        values["attachments"] = self.attachments

    async def before_update(self, record: CustomerNote, values: dict[str, Any]) -> None:
        if "body" in values:
            values["mentions"] = await mentioned(self.session, values["body"])

    async def after_write(self, record: CustomerNote, values: dict[str, Any], *, creating: bool) -> None:
        before = set() if creating else set(getattr(self, "_mentioned_before", ()))
        new = [m for m in record.mentions or [] if m not in before and m != self.actor.user_id]
        if new:
            customer = self.parent or await self.session.get(Customer, record.customer_id)
            await notify(
                self.session,
                new,
                MENTIONED,
                MENTIONED_TITLE,
                body=(record.body or "")[:200],
                params={"who": self.actor.name, "customer": customer.name if customer else ""},
                link=f"/customers/{record.customer_id}#timeline",
                dedupe_key=f"note:{record.id}:v{record.version}",
            )

    async def snapshot(self, record: CustomerNote) -> dict[str, Any]:
        data = await super().snapshot(record)
        data["mentions"] = [str(m) for m in record.mentions or []]
        data["attachments"] = [a.get("name") for a in record.attachments or []]
        return data

    async def update(self, record_id: uuid.UUID, version: int, raw: Any) -> CustomerNote:
        current = await self.session.get(CustomerNote, record_id)
        self._mentioned_before = list(current.mentions or []) if current is not None else []
        return await super().update(record_id, version, raw)


async def mentioned(session: AsyncSession, body: str) -> list[uuid.UUID]:
    """Active staff named as ``@name`` in ``body``, in order of first mention."""
    names = list(dict.fromkeys(MENTION_RE.findall(body or "")))
    if not names:
        return []
    # "@孙浩，" stops at the comma; "@孙浩请" would not match 孙浩 exactly, so try each name's
    # prefixes against the staff's names (longest first).
    candidates = {n[:i] for n in names for i in range(1, len(n) + 1)}
    rows = (
        await session.execute(
            select(User.id, User.name).where(User.name.in_(candidates), User.is_active.is_(True))
        )
    ).all()
    by_name = {name: uid for uid, name in rows}
    found: list[uuid.UUID] = []
    for raw in names:
        for i in range(len(raw), 0, -1):
            uid = by_name.get(raw[:i])
            if uid is not None:
                if uid not in found:
                    found.append(uid)
                break
    return found


def check_uploads(uploads: Sequence[Upload]) -> list[Upload]:
    """The files worth storing (empty file fields of a form are skipped); every problem at once."""
    return files.check_uploads(uploads, NOTE_FILES)


async def add_note(
    session: AsyncSession,
    actor: Actor,
    schema: str,
    customer_id: uuid.UUID,
    body: str,
    uploads: Sequence[Upload] = (),
) -> CustomerNote:
    """A quick note on a customer's timeline, with its files stored under the tenant's folder.

    The files are written before the note (atomically each); when the note is refused they are
    removed again, so a refused note leaves nothing behind."""
    service = NoteService(session, actor)
    service.require("create")
    with files.stored(schema, check_uploads(uploads), NOTE_FILES) as stored:
        service.attachments = stored
        return await service.create({"customer_id": customer_id, "body": body})


async def attachment(
    session: AsyncSession, actor: Actor, schema: str, note_id: uuid.UUID, index: int
) -> tuple[dict[str, Any], Any]:
    """One attachment of a note the actor can see: its description and an open binary file."""
    return await files.open_file(NoteService(session, actor), schema, note_id, index)


__all__ = ["ATTACHMENTS_AREA", "MAX_ATTACHMENTS", "MAX_ATTACHMENT_BYTES", "NOTE_FILES", "Upload", "add_note"]
