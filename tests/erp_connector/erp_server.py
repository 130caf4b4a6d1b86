"""A small ERP on 127.0.0.1 (a threading http.server) for the connector's tests: it serves products
and stock rows changed since the ``updated_since`` it is asked for, takes orders by POST, and can be
told to answer 500 a few times or to be too slow to answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeErp:
    url: str = ""
    products: list[Any] = field(default_factory=list)
    stock: list[Any] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)  # what was pushed
    requests: list[str] = field(default_factory=list)  # "GET /products?updated_since=..."
    failures: int = 0  # answer 500 this many times first
    delay: float = 0.0  # seconds to wait before answering (a timing-out ERP)
    tokens: list[str | None] = field(default_factory=list)


def _changed(rows: list[Any], since: str | None) -> list[Any]:
    if not since:
        return rows
    return [r for r in rows if not isinstance(r, dict) or str(r.get("Changed", "")) > since]


@contextmanager
def fake_erp() -> Iterator[FakeErp]:
    erp = FakeErp()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _gate(self) -> bool:
            erp.requests.append(f"{self.command} {self.path}")
            erp.tokens.append(self.headers.get("Authorization"))
            if erp.delay:
                time.sleep(erp.delay)
            if erp.failures > 0:
                erp.failures -= 1
                self._answer(500, {"error": "busy"})
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            if not self._gate():
                return
            parts = urlsplit(self.path)
            found = parse_qs(parts.query).get("updated_since")
            since = found[0] if found else None
            rows = {"/erp/products": erp.products, "/erp/stock": erp.stock}.get(parts.path)
            if rows is None:
                self._answer(404, {"error": "no such list"})
                return
            self._answer(200, {"items": _changed(rows, since)})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self._gate():
                return
            erp.orders.extend(body.get("orders", []))
            self._answer(200, {"accepted": len(body.get("orders", []))})

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    erp.url = f"http://127.0.0.1:{server.server_address[1]}/erp"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield erp
    finally:
        server.shutdown()
        server.server_close()
