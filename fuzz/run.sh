#!/usr/bin/env bash
# Runs every cargo-fuzz target of muster's parsers, one after the other.
#
# usage: fuzz/run.sh [--smoke | --seconds N] [TARGET...]
#   --smoke       30 s per target (what CI runs)
#   --seconds N   N seconds per target (default 600)
# Needs the nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz:
# `cargo xtask fuzz` installs the pinned one into the tools cache and runs this script
# with it on PATH (`cargo xtask doctor` shows where). New corpus entries go to
# fuzz/corpus/<target>/ (only the seed-* files are committed); a crash leaves
# its input in fuzz/artifacts/<target>/ and makes this script fail.
set -euo pipefail

seconds=600
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) seconds=30 ;;
        --seconds) seconds="$2"; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1") ;;
    esac
    shift
done

cd "$(dirname "$0")"
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "run.sh: cargo-fuzz is not on PATH; run \`cargo xtask fuzz\` (it installs the pinned one)" >&2
    exit 1
fi
# The committed lock file is the one the targets build with: cargo-fuzz has no
# --locked, so check it here (a stale fuzz/Cargo.lock would be rewritten by the build).
if ! cargo +nightly metadata --locked --format-version 1 >/dev/null; then
    echo "run.sh: fuzz/Cargo.lock is out of date; run \`cargo +nightly metadata --manifest-path fuzz/Cargo.toml\` and commit it" >&2
    exit 1
fi
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s"
    start=$(date +%s)
    # One process (2-core CI machines); inputs up to 64 KiB; fail on > 2 GiB RSS.
    set +e
    cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 2>&1 | tee "/tmp/muster-fuzz-$target.log" | grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|==[0-9]+==|SUMMARY|thread .* panicked)'
    status=${PIPESTATUS[0]}
    set -e
    echo "== $target: exit $status after $(( $(date +%s) - start ))s (log /tmp/muster-fuzz-$target.log)"
    [ "$status" -eq 0 ] || exit "$status"
done
