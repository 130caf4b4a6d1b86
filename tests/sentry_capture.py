"""A real sentry-sdk client whose transport keeps envelopes in memory, for tests of error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from app.observability import init_sentry


class CapturingTransport(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        return [item.payload.json for env in self.envelopes for item in env.items if item.type == "event"]


@pytest.fixture
def sentry() -> Iterator[CapturingTransport]:
    """Sentry on, as with SENTRY_DSN set, reporting into memory; off again afterwards."""
    transport = CapturingTransport()
    assert init_sentry("https://public@example.invalid/1", "test", transport=transport)
    try:
        yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)
        assert sentry_sdk.get_client().transport is None  # nothing leaves the process in later tests
