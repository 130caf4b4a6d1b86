#!/bin/sh
# The two set-up commands of the README, on a fresh machine:
#   sh infra/dev.sh demo   install, migrate, seed the demo tenant, run web + worker
#   sh infra/dev.sh test   install, the quality gates, then the whole test suite (what .ci/run calls)
# and the gates alone:
#   sh infra/dev.sh gates  install, then ruff check, ruff format --check, lint-imports, mypy (infra/gates.sh)
# Without DATABASE_URL / REDIS_URL all use embedded PostgreSQL and Redis under ./.data/.
#
# `test` in detail:
#   GATES=1     the gates run first and a failure stops the run (the suite does not start);
#   GATES=warn  the gates run and report, the suite runs whatever they say;
#   GATES=0     no gates.
#   TEST_WORKERS=2 (default; this is a 2-core machine): pytest-xdist workers, each with its own
#   throwaway database and Redis database; TEST_WORKERS=0 runs serially, `auto` one per core. Extra
#   arguments go to pytest after these, so `sh infra/dev.sh test -n 0 tests/customers` works too.
set -eu
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
# The gates block: a red gate stops the run before the suite (GATES=warn only reports).
GATES="${GATES:-1}"
TEST_WORKERS="${TEST_WORKERS:-2}"

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
        case "$GATES" in
            0 | no | off) ;;
            warn)
                sh infra/gates.sh || echo "== the gates failed (GATES=warn: reported, not blocking); the suite runs" >&2
                ;;
            *)
                if ! sh infra/gates.sh; then
                    echo "== the gates failed, so the suite did not run; GATES=warn or GATES=0 runs it anyway" >&2
                    exit 1
                fi
                ;;
        esac
        # Whole test files per worker, the browser tests together and last (tests/conftest.py).
        exec "$VENV/bin/python" -m pytest -n "$TEST_WORKERS" --dist loadfile "$@"
        ;;
    gates)
        install
        exec sh infra/gates.sh
        ;;
    *)
        echo "usage: sh infra/dev.sh demo | test [pytest args] | gates" >&2
        exit 64
        ;;
esac
