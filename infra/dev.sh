#!/bin/sh
# The two set-up commands of the README, on a fresh machine:
#   sh infra/dev.sh demo   install, migrate, seed the demo tenant, run web + worker
#   sh infra/dev.sh test   install, then run the whole test suite (what .ci/run calls)
# Without DATABASE_URL / REDIS_URL both use embedded PostgreSQL and Redis under ./.data/.
set -eu
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv

install() {
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    stamp="$VENV/.installed-$(cksum pyproject.toml | cut -d' ' -f1)"
    if [ ! -f "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
        touch "$stamp"
    fi
}

browser() {
    # The e2e tests drive Debian's Chromium; a CJK font keeps Chinese readable in screenshots.
    if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy"; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1 \
                || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)
        else
            echo "note: install chromium and fonts-wqy-microhei to run the browser tests" >&2
        fi
    fi
}

case "${1:-}" in
    demo)
        install
        exec "$VENV/bin/dealercrm" demo --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
        ;;
    test)
        install
        browser
        shift
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        echo "usage: sh infra/dev.sh demo | test [pytest args]" >&2
        exit 64
        ;;
esac
