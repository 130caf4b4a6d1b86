"""Which backups to keep: the newest of each of the last N days, ISO weeks and months.

Scheduled backups are grouped by UTC day, ISO week and month; in each group the newest verified
backup is the one kept (the newest completed one when none of the group is verified), for the
newest ``daily`` days, ``weekly`` weeks and ``monthly`` months that have one. Manual backups are
kept by count. The newest verified backup is always kept, whatever its age or kind, so a tenant
whose recent backups all fail verification still has one that restores.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from app.backups.models import Backup, BackupKind, BackupStatus


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12
    manual: int = 10


@dataclass(frozen=True)
class RetentionPlan:
    keep: list[Backup]
    prune: list[Backup]  # good backups past the policy: file removed, row marked deleted
    discard_failed: list[Backup]  # failed backups whose file is still kept for inspection


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def day_of(b: Backup) -> Hashable:
    return _utc(b.created_at).date()


def week_of(b: Backup) -> Hashable:
    iso = _utc(b.created_at).isocalendar()
    return (iso.year, iso.week)


def month_of(b: Backup) -> Hashable:
    moment = _utc(b.created_at)
    return (moment.year, moment.month)


def _newest_per_bucket(
    backups: Sequence[Backup], bucket: Callable[[Backup], Hashable], count: int
) -> set[uuid.UUID]:
    chosen: dict[Hashable, Backup] = {}
    for b in backups:
        key = bucket(b)
        best = chosen.get(key)
        if best is None or _rank(b) > _rank(best):
            chosen[key] = b
    newest_buckets = sorted(chosen, key=lambda k: chosen[k].created_at, reverse=True)[: max(count, 0)]
    return {chosen[k].id for k in newest_buckets}


def _rank(b: Backup) -> tuple[bool, datetime]:
    return (b.status == BackupStatus.VERIFIED, b.created_at)


def plan(backups: Sequence[Backup], policy: RetentionPolicy, *, now: datetime | None = None) -> RetentionPlan:
    """Split one tenant's backups into those to keep and those to prune."""
    now = now or datetime.now(UTC)
    good = [b for b in backups if b.status in BackupStatus.GOOD]
    scheduled = [b for b in good if b.kind in BackupKind.SCHEDULED]
    manual = sorted(
        (b for b in good if b.kind == BackupKind.MANUAL), key=lambda b: b.created_at, reverse=True
    )
    keep: set[uuid.UUID] = set()
    keep |= _newest_per_bucket(scheduled, day_of, policy.daily)
    keep |= _newest_per_bucket(scheduled, week_of, policy.weekly)
    keep |= _newest_per_bucket(scheduled, month_of, policy.monthly)
    keep |= {b.id for b in manual[: max(policy.manual, 0)]}
    verified = [b for b in good if b.status == BackupStatus.VERIFIED]
    if verified:
        keep.add(max(verified, key=lambda b: b.created_at).id)
    # A failed backup's file (one that failed verification) is kept as long as a daily one.
    failed_cutoff = policy.daily * 86400
    discard = [
        b
        for b in backups
        if b.status == BackupStatus.FAILED
        and b.deleted_at is None
        and (now - b.created_at).total_seconds() > failed_cutoff
    ]
    return RetentionPlan(
        keep=[b for b in good if b.id in keep],
        prune=sorted((b for b in good if b.id not in keep), key=lambda b: b.created_at),
        discard_failed=discard,
    )


def scheduled_kind(previous: Sequence[Backup], moment: datetime) -> str:
    """The label of a new scheduled backup: the first of its month is monthly, of its ISO week weekly."""
    probe = Backup(created_at=moment)
    earlier = [b for b in previous if b.status in BackupStatus.GOOD and b.kind in BackupKind.SCHEDULED]
    if not any(month_of(b) == month_of(probe) for b in earlier):
        return BackupKind.MONTHLY
    if not any(week_of(b) == week_of(probe) for b in earlier):
        return BackupKind.WEEKLY
    return BackupKind.DAILY
