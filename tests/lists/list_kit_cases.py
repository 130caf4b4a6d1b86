"""The generic cases of a top-level list on the web list kit (web/kit/lists.py), for every list
that adopts it: products, leads, pools, staff, price lists, stock counts.

A test class sets ``path``, ``row_prefix`` (rows are ``<tr id="<prefix>-<id>">``), ``bad_query``
with the message it must show (``bad_message``, as the reader sees it), ``sort`` (a sortable header
besides the default), ``empty_text`` (with ``empty_query``: what an empty list says), and
``make(app, kit, n)`` adding n records the ``reader`` sees (each unique: duplicate control). It
inherits: a bad value gets a message and the list still shows (400, never a 500); paging forward
to the end and back again by keyset, with the position "第 1–2 条 / 共 N 条" and every row once; a
header sorts both ways (and says so to screen readers); an empty list says so; a stale page link
shows the first page with a message; an HTMX search gets the results alone.
"""

from __future__ import annotations

import html
import itertools
import re
import uuid
from typing import ClassVar

from crm_testkit import TenantKit, logged_in
from litestar import Litestar

_serial = itertools.count(1)


def unique() -> int:
    """A number no other record of the run has (names, SKUs: duplicate control refuses repeats)."""
    return next(_serial) * 1000 + uuid.uuid4().int % 1000


def mobile() -> str:
    return f"137{unique() % 100_000_000:08d}"


class ListKitCases:
    path: ClassVar[str]
    row_prefix: ClassVar[str]
    reader: ClassVar[str] = "admin"
    bad_query: ClassVar[dict[str, str]]
    bad_message: ClassVar[str]
    sort: ClassVar[str]
    empty_text: ClassVar[str]
    empty_query: ClassVar[dict[str, str]] = {}
    base_query: ClassVar[dict[str, str]] = {}  # what every request of the list adds (a pool)

    async def make(self, app: Litestar, kit: TenantKit, count: int) -> list[str]:
        raise NotImplementedError

    async def prepare(self, app: Litestar, kit: TenantKit) -> object:
        """What an empty list needs first (a pool with no customers yet)."""

    def listed(self, page: str) -> list[str]:
        return re.findall(rf'<tr id="{self.row_prefix}-([0-9a-f-]{{36}})"', page)

    async def test_a_bad_filter_value_shows_a_message_and_the_list(
        self, app: Litestar, tenant: TenantKit
    ) -> None:
        made = await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, self.reader)
        page = await client.get(self.path, params={**self.base_query, **self.bad_query})
        assert page.status_code == 400, page.text
        assert self.bad_message in html.unescape(page.text)
        assert made[0] in self.listed(page.text)

    async def test_paging_forward_to_the_end_and_back(self, app: Litestar, tenant: TenantKit) -> None:
        await self.make(app, tenant, 5)
        client = await logged_in(app, tenant, self.reader)
        page = await client.get(self.path, params={**self.base_query, "size": "2"})
        assert page.status_code == 200, page.text
        position = re.search(r"第 1–2 条 / 共 (\d+) 条", page.text)
        assert position, page.text
        total = int(position.group(1))
        assert total >= 5
        forward = [self.listed(page.text)]
        while link := re.search(r'rel="next" href="([^"]+)"', page.text):
            page = await client.get(html.unescape(link.group(1)))
            assert page.status_code == 200, page.text
            forward.append(self.listed(page.text))
        seen = [i for rows in forward for i in rows]
        assert len(seen) == total == len(set(seen))
        assert f"/ 共 {total} 条" in page.text and 'rel="next"' not in page.text
        backward = [self.listed(page.text)]
        while link := re.search(r'rel="prev" href="([^"]+)"', page.text):
            page = await client.get(html.unescape(link.group(1)))
            assert page.status_code == 200, page.text
            backward.append(self.listed(page.text))
        assert list(reversed(backward)) == forward
        assert "第 1–2 条" in page.text

    async def test_a_header_sorts_both_ways(self, app: Litestar, tenant: TenantKit) -> None:
        await self.make(app, tenant, 3)
        client = await logged_in(app, tenant, self.reader)
        up = await client.get(
            self.path, params={**self.base_query, "sort": self.sort, "dir": "asc", "size": "100"}
        )
        down = await client.get(
            self.path, params={**self.base_query, "sort": self.sort, "dir": "desc", "size": "100"}
        )
        assert up.status_code == down.status_code == 200
        assert '<th aria-sort="ascending"' in up.text and '<th aria-sort="descending"' in down.text
        assert self.listed(up.text) == list(reversed(self.listed(down.text)))
        assert len(self.listed(up.text)) >= 3
        unknown = await client.get(self.path, params={**self.base_query, "sort": "password"})
        assert unknown.status_code == 400 and "未知的排序方式" in unknown.text

    async def test_an_empty_list_says_so(self, app: Litestar, tenant: TenantKit) -> None:
        await self.prepare(app, tenant)
        client = await logged_in(app, tenant, self.reader)
        page = await client.get(self.path, params={**self.base_query, **self.empty_query})
        assert page.status_code == 200, page.text
        assert self.listed(page.text) == [] and self.empty_text in page.text

    async def test_a_stale_page_link_shows_the_first_page(self, app: Litestar, tenant: TenantKit) -> None:
        made = await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, self.reader)
        page = await client.get(self.path, params={**self.base_query, "after": "not-a-cursor", "p": "3"})
        assert page.status_code == 400
        assert "翻页链接已过期，已显示第一页。" in page.text and made[0] in self.listed(page.text)

    async def test_an_htmx_search_gets_the_results_alone(self, app: Litestar, tenant: TenantKit) -> None:
        made = await self.make(app, tenant, 1)
        client = await logged_in(app, tenant, self.reader)
        fragment = await client.get(
            self.path, params=self.base_query, headers={"HX-Request": "true", "HX-Target": "results"}
        )
        assert fragment.status_code == 200
        assert '<div id="results"' in fragment.text and "<html" not in fragment.text
        assert made[0] in self.listed(fragment.text)
