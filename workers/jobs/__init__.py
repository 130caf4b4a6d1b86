"""Job functions registered with the worker."""

from typing import Any

JOBS: list[Any] = []
