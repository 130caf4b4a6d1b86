"""The public contract as SDL: ``.venv/bin/python -m app.graphql.export > graphql/schema.graphql``."""

from __future__ import annotations

import sys


def sdl() -> str:
    """The schema in GraphQL SDL, as committed in ``graphql/schema.graphql``."""
    from app.graphql.schema import schema

    return schema.as_str() + "\n"


def main() -> None:
    sys.stdout.write(sdl())


if __name__ == "__main__":
    main()
