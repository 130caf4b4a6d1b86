"""Job functions registered with the worker."""

from typing import Any

from arq.worker import func

from workers.jobs.backups import backup_tenant
from workers.jobs.batches import run_batch
from workers.jobs.erp import sync_erp_now
from workers.jobs.exports import export_customers
from workers.jobs.fulfilment import deliver_webhook
from workers.jobs.imports import import_rows
from workers.jobs.privacy import export_subject_data

JOBS: list[Any] = [
    # The outcome lives in export_jobs, so arq keeps no result: a kept result would block
    # re-enqueueing the same job id (retry, sweep) until it expired.
    func(export_customers, name="export_customers", keep_result=0, max_tries=20),
    # Outcome in public.backups; job id backup:<slug>:<date>. A failed run is retried by the next
    # hourly sweep, not by arq (a retry storm of pg_dumps helps nobody).
    func(backup_tenant, name="backup_tenant", keep_result=0, max_tries=1),
    # Outcome in import_batches; a rerun resumes after the last committed chunk.
    func(import_rows, name="import_rows", keep_result=0, max_tries=20),
    # Outcome in batch_jobs; a rerun resumes after the last committed chunk.
    func(run_batch, name="run_batch", keep_result=0, max_tries=20),
    # Outcome in subject_exports; a rerun of a done export does nothing.
    func(export_subject_data, name="export_subject_data", keep_result=0, max_tries=5),
    # Outcome in webhook_deliveries; job id webhook:<schema>:<id>:<attempt>. A failed attempt is
    # scheduled with backoff in PostgreSQL and enqueued again by the next outbound sweep.
    func(deliver_webhook, name="deliver_webhook", keep_result=0, max_tries=1),
    # Outcome in erp_sync_runs; job id erp-sync:<schema>. A failed run is retried by the next sweep.
    func(sync_erp_now, name="sync_erp_now", keep_result=0, max_tries=1),
]
