"""HTMX answers every entity's admin gives."""

from __future__ import annotations

import json
from typing import Any

from litestar import Response


def htmx_done(message: str | None, **events: Any) -> Response[str]:
    """Close the drawer, show a toast and tell the page what changed (``HX-Trigger`` events)."""
    if message:
        events["toast"] = message
    headers = {
        "HX-Trigger": json.dumps(events),
        "HX-Retarget": "#drawer",
        "HX-Reswap": "innerHTML",
    }
    return Response("", headers=headers, media_type="text/html", status_code=200)


def htmx_undo(message: str, undo_url: str, undo_label: str, **events: Any) -> Response[str]:
    """A toast offering to undo what was just done (a delete moves to the recycle bin)."""
    return htmx_done(
        None, **{"toast-undo": {"message": message, "label": undo_label, "url": undo_url}}, **events
    )
