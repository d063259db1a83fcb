#!/usr/bin/env bash
# The script part of the synclint GitHub Action (action.yml at the
# repository root). Runnable anywhere: .ci/run exercises it on a probe
# repository with the environment GitHub gives a composite action.
#
#   run.sh install   cargo install synclint from the action's own checkout
#                    ($GITHUB_ACTION_PATH) into $RUNNER_TEMP/synclint, and put
#                    it on $GITHUB_PATH
#   run.sh lint      lint with annotations (workflow commands), optionally
#                    write SARIF first; outputs `findings` and `sarif-file`
#
# Inputs come as environment variables (never spliced into the script):
#   INPUT_ARGS              extra arguments, whitespace-separated (paths, -p NAME, --select ..)
#   INPUT_SARIF_FILE        write SARIF here too (empty: no SARIF)
#   INPUT_BASELINE          report only findings not in this baseline file
#   INPUT_FAIL_ON_FINDINGS  "true" (default): findings fail the step
#   SYNCLINT_BIN            the binary (default: cargo-synclint on PATH)
set -uo pipefail

die() {
    echo "::error title=synclint::$*"
    exit 2
}

install() {
    local src=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
    local root=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/synclint
    command -v cargo >/dev/null || die "cargo is not installed (add dtolnay/rust-toolchain@stable before this action)"
    cargo install --locked --quiet --path "$src" --root "$root" || die "cargo install of synclint failed"
    [ -x "$root/bin/cargo-synclint" ] || die "cargo install did not produce cargo-synclint"
    if [ -n "${GITHUB_PATH:-}" ]; then
        echo "$root/bin" >>"$GITHUB_PATH"
    fi
    "$root/bin/cargo-synclint" --version
}

lint() {
    local bin=${SYNCLINT_BIN:-cargo-synclint}
    local out=${GITHUB_OUTPUT:-/dev/null}
    local -a extra=() base=()
    read -r -a extra <<<"${INPUT_ARGS:-}"
    if [ -n "${INPUT_BASELINE:-}" ]; then
        [ -f "$INPUT_BASELINE" ] || die "baseline ${INPUT_BASELINE} does not exist (write one with --write-baseline)"
        base=(--baseline "$INPUT_BASELINE")
    fi
    # SARIF first and report-only, so it is written even when findings fail
    # the annotation run below.
    if [ -n "${INPUT_SARIF_FILE:-}" ]; then
        "$bin" --format sarif --exit-zero "${base[@]}" "${extra[@]}" >"$INPUT_SARIF_FILE" ||
            die "synclint could not write SARIF to ${INPUT_SARIF_FILE}"
        echo "sarif-file=$INPUT_SARIF_FILE" >>"$out"
    fi
    local annotations code
    annotations=$(mktemp)
    "$bin" --format github "${base[@]}" "${extra[@]}" >"$annotations"
    code=$?
    cat "$annotations"
    local n
    n=$(grep -c -E '^::(error|warning) ' "$annotations")
    rm -f "$annotations"
    echo "findings=$n" >>"$out"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        echo "synclint: $n finding(s)" >>"$GITHUB_STEP_SUMMARY"
    fi
    case "$code" in
    0) return 0 ;;
    1) [ "${INPUT_FAIL_ON_FINDINGS:-true}" = "true" ] && return 1 || return 0 ;;
    *) return "$code" ;;
    esac
}

case "${1:-}" in
install) install ;;
lint) lint ;;
*)
    echo "usage: $0 install|lint" >&2
    exit 2
    ;;
esac
