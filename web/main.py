"""The web process: the app factory with the admin's controllers, templates and translations."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from app.factory import create_app
from app.settings import Settings
from web import templating
from web.controllers import ROUTES

HERE = Path(__file__).parent


def create_web_app(settings: Settings | None = None) -> Litestar:
    return create_app(
        settings=settings,
        route_handlers=ROUTES,
        template_dir=HERE / "templates",
        static_dir=HERE / "static",
        translations_dir=HERE / "translations",
        template_setup=templating.setup,
    )
