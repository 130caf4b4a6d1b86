"""An import's chunk in bulk: the same decisions as row by row, a handful of statements per chunk.

Row by row, each created record costs the create verb's 15-20 statements. Here a chunk reads what
every row needs at once (the records its match values name, the duplicate rules' matches, the
custom fields and the workflow, remembered for the transaction), then takes each row in file
order through the entity's own ``build`` (the same ``clean``, hooks and duplicate control as the
form), and writes the records it built with one INSERT each of records, their children (tags),
audit records, events and journal lines (``app.kit.bulk_create``).

A hook that decides from what earlier rows did keeps its state for the chunk in the session's
memo (``app.kit.memo``) instead of reading it back: leads' assignment (``app.leads.service.Assigner``)
reads and locks the rules once, counts each lead it gives out at once, and is told to count again
when an update writes (so round robin and "by load" go on exactly as one by one).

Order is kept where it matters: a row matching a record built earlier in the chunk is skipped or
updated like one matching a stored record; an update goes through the update verb after the
records built before it are written (it may be one of them), and the duplicate answers are
corrected for what it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository as accounts_repo
from app.domain import FieldError, ValidationFailed
from app.kit.bulk_create import write_built
from app.kit.duplicates import MatchCache
from app.kit.fields import Errors
from app.kit.imports import repository as repo
from app.kit.imports.models import ImportBatch, RowAction
from app.kit.imports.service import utcnow
from app.kit.memo import memoized
from app.kit.service import Built, EntityService, batch
from app.platform import quotas

if TYPE_CHECKING:
    from app.kit.imports.run import RowImporter


def _as_cleaned(service: EntityService[Any], raw: dict[str, Any]) -> Callable[[str], Any]:
    """A getter of the row's values as ``clean`` will make them (for reading ahead only)."""
    fields = service.fields
    seen: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in seen:
            value = raw.get(name)
            kind = fields.types.get(name)
            if value in (None, ""):
                seen[name] = fields.defaults.get(name)
            else:
                seen[name] = kind.clean(Errors(), name, value) if kind is not None else value
        return seen[name]

    return get


class Existing:
    """The live records the chunk's match values name, read at once: by (field, value), the first
    one the actor can see, or None when only records the actor cannot see hold it."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, Any], Any] = {}

    @classmethod
    async def read(
        cls, service: EntityService[Any], fields: Sequence[str], keys: Sequence[tuple[str, Any]]
    ) -> Existing:
        found = cls()
        model: Any = service.model
        visible = service.scope.condition(model, await service.owners())
        for name in fields:
            values = sorted({value for field, value in keys if field == name})
            if not values:
                continue
            column = getattr(model, name)
            rows = await service.session.execute(
                select(model, visible.label("visible")).where(column.in_(values), model.deleted_at.is_(None))
            )
            for record, seen in rows.all():
                key = (name, getattr(record, name))
                if seen and found.found.get(key) is None:
                    found.found[key] = record
                else:
                    found.found.setdefault(key, None)
        return found

    def find(self, keys: Sequence[tuple[str, Any]], created: dict[tuple[str, Any], Any]) -> tuple[Any, bool]:
        """As ``run.find_existing``: the row's record, and whether only a hidden one matches."""
        for key in keys:
            if key in created:
                return created[key], False
            if key in self.found:
                record = self.found[key]
                return (record, False) if record is not None else (None, True)
        return None, False

    def moved(self, keys: Sequence[tuple[str, Any]], record: Any) -> None:
        for key in keys:
            self.found[key] = record


async def bulk_chunk(
    session: AsyncSession,
    importer: RowImporter,
    job: ImportBatch,
    attempt: int,
    chunk: list[tuple[int, list[Any]]],
) -> dict[str, int]:
    from app.kit.imports.run import Outcome, Superseded, _match_values, journal_line

    service, spec = importer.service, importer.spec
    counts: dict[str, int] = {}
    importer.created.clear()  # records of earlier chunks are found by the query again
    service._owners = False  # scope as it is now (a team change mid-import applies)
    policy = job.policy
    journal: list[dict[str, Any]] = []
    async with batch(session):
        # The fence first: it locks the batch row, so a superseding attempt waits for this chunk.
        if not await repo.fenced(session, job.id, attempt, heartbeat_at=utcnow()):
            raise Superseded(job.id)
        # Staff held for the chunk: owner checks find them in the session (no query per row).
        staff = await accounts_repo.list_users(session)
        with memoized(session):
            async with quotas.reserved(session, spec.quota, len(chunk)):
                rows = [(line, cells, *importer.convert(cells)) for line, cells in chunk]
                keys = {
                    line: _match_values(service, spec, raw) if policy != "create" else []
                    for line, _, raw, problems in rows
                    if not problems
                }
                existing = await Existing.read(service, spec.match, [k for ks in keys.values() for k in ks])
                cache = MatchCache(service.duplicate_rules)
                await cache.fetch(
                    session,
                    [_as_cleaned(service, raw) for _, _, raw, problems in rows if not problems],
                    await service.owners(),
                    service.model,
                )
                service.duplicate_cache = cache
                pending: list[Built] = []
                try:
                    for line, cells, raw, problems in rows:
                        if problems:
                            outcome = Outcome(RowAction.REJECTED, problems=problems)
                        else:
                            outcome = await _row(importer, existing, cache, pending, keys[line], raw)
                        counts[outcome.action] = counts.get(outcome.action, 0) + 1
                        journal.append(journal_line(job, line, cells, outcome))
                    await write_built(service, pending)
                finally:
                    service.duplicate_cache = None
        await repo.add_rows(session, journal)
        if not await repo.add_counts(session, job.id, attempt, counts, utcnow()):
            raise Superseded(job.id)
    del staff
    return counts


async def _row(
    importer: RowImporter,
    existing: Existing,
    cache: MatchCache,
    pending: list[Built],
    keys: list[tuple[str, Any]],
    raw: dict[str, Any],
) -> Any:
    from app.kit.imports.run import Outcome

    service, spec, policy = importer.service, importer.spec, importer.batch.policy
    record, hidden = existing.find(keys, importer.created) if policy != "create" else (None, False)
    if hidden:
        problem = FieldError(spec.match[0], "duplicate_hidden", "matches a record you cannot see")
        return Outcome(RowAction.SKIPPED if policy == "skip" else RowAction.REJECTED, problems=[problem])
    if record is None:
        try:
            built = await service.build(raw, bulk=True)
        except ValidationFailed as exc:
            return Outcome(RowAction.REJECTED, problems=list(exc.errors))
        pending.append(built)
        cache.add(built.record)
        for key in keys:  # the row's match values (none under "create": nothing is matched then)
            importer.created[key] = built.record
        return Outcome(RowAction.CREATED, built.record)
    if policy == "skip":
        return importer.skipped(record)
    # An update: the records built so far are written first (the match may be one of them), then
    # the verb updates it as row by row; what it changed corrects the chunk's duplicate answers.
    if pending:
        await write_built(service, pending)
        pending.clear()
    if inspect(record).transient:  # built by this chunk: read as stored (server defaults too)
        record = await service.session.get(service.model, record.id)
    outcome = await importer.update(record, raw)
    if outcome.action == RowAction.UPDATED:
        updated = outcome.record
        cache.changed(updated)
        existing.moved(keys, updated)
        for key in keys:
            if key in importer.created:
                importer.created[key] = updated
    return outcome
