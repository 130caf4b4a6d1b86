"""Job functions registered with the worker."""

from typing import Any

from arq.worker import func

from workers.jobs.exports import export_customers

JOBS: list[Any] = [
    # The outcome lives in export_jobs, so arq keeps no result: a kept result would block
    # re-enqueueing the same job id (retry, sweep) until it expired.
    func(export_customers, name="export_customers", keep_result=0, max_tries=20),
]
