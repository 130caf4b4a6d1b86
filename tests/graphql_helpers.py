"""What the GraphQL tests of every area share: the example operations of ``graphql/operations``
(what integrators copy), sent as an integrator's client sends them.

    run = OperationRun(sales)                 # a client from crm_testkit.integrator
    created = (await run("CreateQuote", {"input": ...}))["createQuote"]
    denied = await run("CreatePriceList", {...}, client=manager)
    ...
    assert run.ran == set(MINE)               # every operation of the area was exercised

Each answer must come without GraphQL errors: refusals are typed results inside the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crm_testkit import TenantKit, integrator, token_for
from litestar import Litestar

OPERATIONS = Path(__file__).resolve().parents[1] / "graphql" / "operations"


def operation(name: str) -> str:
    """The text of ``graphql/operations/<name>.graphql``."""
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def api_client(app: Litestar, kit: TenantKit, who: str) -> Any:
    """An integrator's client with a personal access token of ``who`` (read and write)."""
    return integrator(app, kit.host, await token_for(app, kit, who))


class OperationRun:
    """Runs example operations by name as ``client`` (or another one per call) and remembers which ran."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.ran: set[str] = set()

    async def __call__(
        self, name: str, variables: dict[str, Any] | None = None, client: Any = None
    ) -> dict[str, Any]:
        result = await (client or self.client).gql(operation(name), variables or {})
        assert "errors" not in result, (name, result)
        self.ran.add(name)
        data: dict[str, Any] = result["data"]
        return data
