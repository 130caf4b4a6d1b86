"""Where ``/`` leads: sign-up on the base domain, the customer list on a tenant's host."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect


class HomeController(Controller):
    path = "/"

    @get("/", operation_id="Home", name="home")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        """Staff land on their customer list; visitors to the base domain on sign-up."""
        tenant = request.scope.get("state", {}).get("tenant")
        return Redirect("/customers" if tenant is not None else "/signup")
