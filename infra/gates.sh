#!/bin/sh
# The quality gates, fastest first: lint, format, layer contract, types. `sh infra/dev.sh test` runs
# them before the suite (see GATES there); `sh infra/dev.sh gates` or `sh infra/gates.sh` runs them
# alone. Every gate runs even when an earlier one fails, so one run lists everything to fix; the exit
# status is 1 when any failed. Tool versions are pinned in pyproject.toml ([project.optional-dependencies]
# dev), their settings there too ([tool.ruff], [tool.mypy], [tool.importlinter]).
set -u
cd "$(dirname "$0")/.."
BIN="${VENV:-.venv}/bin"

failed=""
hints=""

gate() {
    # gate NAME HINT COMMAND...
    name=$1
    hint=$2
    shift 2
    printf '\n== gate: %s  (%s)\n' "$name" "$*"
    started=$(date +%s)
    if "$@"; then
        printf '== gate: %s: passed in %ss\n' "$name" "$(($(date +%s) - started))"
    else
        printf '== gate: %s: FAILED in %ss\n' "$name" "$(($(date +%s) - started))"
        failed="$failed
   - $name"
        hints="$hints
   - $name: $hint"
    fi
}

gate "ruff check" "$BIN/ruff check --fix . fixes what it can; the rest by hand (E501: split the line)" \
    "$BIN/ruff" check --output-format concise .
gate "ruff format" "$BIN/ruff format . (or name the files)" \
    "$BIN/ruff" format --check --output-format concise .
gate "layer contract" "move what the lower layer needs down into it; the contracts are [tool.importlinter] in pyproject.toml" \
    env COLUMNS="${COLUMNS:-160}" "$BIN/lint-imports" --no-logo --no-cache
gate "mypy" "fix the types; the checked packages and options are [tool.mypy] in pyproject.toml" \
    "$BIN/mypy" --no-error-summary --hide-error-context

if [ -n "$failed" ]; then
    printf '\n== quality gates FAILED:%s\n== to fix:%s\n' "$failed" "$hints"
    exit 1
fi
printf '\n== quality gates passed (ruff check, ruff format, layer contract, mypy)\n'
