"""Account enumeration and lockout as a weapon: an unknown email, a wrong password and a locked account
get the same status and text, and a stranger failing on purpose cannot lock the owner out.

Before the fix, a locked account answered 423 (so an attacker learnt which emails exist) and five wrong
passwords from anywhere locked the account for everyone for 15 minutes.
"""

from __future__ import annotations

import itertools

from crm_testkit import PASSWORD, TenantKit
from litestar import Litestar
from login_attack_kit import alert_of, browser_from, fresh_address

from app.platform import service as platform

_operators = itertools.count(1)


async def test_unknown_locked_and_wrong_password_get_the_same_answer(
    app: Litestar, tenant: TenantKit
) -> None:
    attacker = browser_from(app, tenant.host, fresh_address())
    answers = []
    for _ in range(6):  # the last of these meets the lock
        answers.append(
            await attacker.post_form("/login", {"email": tenant.email("sales_a"), "password": "nope"})
        )
    answers.append(
        await attacker.post_form("/login", {"email": tenant.email("sales_a"), "password": PASSWORD})
    )
    answers.append(
        await attacker.post_form("/login", {"email": f"nobody@{tenant.slug}.example", "password": "nope"})
    )
    assert {r.status_code for r in answers} == {401}
    assert len({alert_of(r.text) for r in answers}) == 1 and alert_of(answers[0].text)


async def test_a_stranger_cannot_lock_the_owner_out(app: Litestar, tenant: TenantKit) -> None:
    """The lock holds the network that failed, not the account: the owner signs in from the shop."""
    stranger = browser_from(app, tenant.host, fresh_address())
    for _ in range(8):
        await stranger.post_form("/login", {"email": tenant.email("owner"), "password": "guess"})
    locked_out = await stranger.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    assert locked_out.status_code == 401
    shop = browser_from(app, tenant.host, fresh_address())
    assert (
        await shop.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    ).status_code == 303


async def test_operator_unknown_and_locked_read_alike(app: Litestar) -> None:
    email = f"enum{next(_operators)}@dealercrm.example"
    async with app.state.db.platform_session() as session:
        await platform.create_operator(session, email=email, name="林涛", password="console-pass-9")
    console = browser_from(app, "localhost", fresh_address())
    await console.get("/operator/login")
    answers = [
        await console.post_form("/operator/login", {"email": email, "password": "x"}) for _ in range(6)
    ]
    answers.append(await console.post_form("/operator/login", {"email": email, "password": "console-pass-9"}))
    answers.append(
        await console.post_form("/operator/login", {"email": "nobody@dealercrm.example", "password": "x"})
    )
    assert {r.status_code for r in answers} == {401}
    assert len({alert_of(r.text) for r in answers}) == 1


async def test_a_guessing_attack_from_many_networks_does_not_keep_the_owner_out_of_their_usual_one(
    app: Litestar, tenant: TenantKit
) -> None:
    """Past the account-wide brake (failures from all sources in an hour) only networks the account has
    signed in from before may still try: the owner's shop is one, a fresh attacker address is not."""
    from app import throttle
    from app.accounts import lockout

    shop_address = fresh_address()
    shop = browser_from(app, tenant.host, shop_address)
    assert (
        await shop.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    ).status_code == 303
    throttles = lockout.LoginThrottles.for_kind("staff", app.state.settings)
    # As if a botnet had already failed the brake's worth of times from many networks.
    await throttle.hit(
        app.state.redis,
        throttles.per_account,
        f"{tenant.schema}:{tenant.email('owner')}",  # accounts are throttled per dealer
        fail="open",
        cost=throttles.per_account.limit,
    )
    newcomer = browser_from(app, tenant.host, fresh_address())
    refused = await newcomer.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    assert refused.status_code == 401
    again = browser_from(app, tenant.host, shop_address)
    assert (
        await again.post_form("/login", {"email": tenant.email("owner"), "password": PASSWORD})
    ).status_code == 303
