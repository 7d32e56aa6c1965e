#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# run.sh TARGET CORPUS_DIR [SECONDS]: run one libFuzzer target for SECONDS (default
# $VFWD_FUZZ_SECONDS, else 10) over a copy of its committed corpus (which stays as it is).
# Fails on any crash, leak, sanitizer report or timeout; prints libFuzzer's closing figures.
# VFWD_FUZZ_KEEP=DIR: merge the corpus the run grew into DIR (minimized: libFuzzer -merge=1).
set -eu
target=$(readlink -f "$1")
corpus=$(readlink -f "$2")
secs=${3:-${VFWD_FUZZ_SECONDS:-10}}
[ -x "$target" ] || { echo "run.sh: $target not built (fuzz.build failed?)"; exit 1; }
[ -d "$corpus" ] || { echo "run.sh: no corpus $corpus"; exit 1; }
work=$(mktemp -d /tmp/vfwd-fuzz-corpus-XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$corpus"/* "$work"/
cd "$work"
# fuzz_control keeps DPDK devices between inputs (devargs live until removal): no leak check.
leaks=1
case "$target" in *fuzz_control) leaks=0 ;; esac
ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	-artifact_prefix="$work/" "$work" > log 2>&1 || {
	tail -60 log
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -e "$a" ] && { echo "reproducer $a:"; od -c "$a" | head -20; }
	done
	echo "FAIL: $(basename "$target")"
	exit 1
}
grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" log
echo "corpus: $(ls "$work" | grep -cv '^log$') inputs (started from $(ls "$corpus" | wc -l))"
if [ -n "${VFWD_FUZZ_KEEP:-}" ]; then
	mkdir -p "$VFWD_FUZZ_KEEP"
	ASAN_OPTIONS=detect_leaks=0 "$target" -merge=1 "$VFWD_FUZZ_KEEP" "$work" > merge.log 2>&1 ||
		{ tail -20 merge.log; exit 1; }
	echo "merged into $VFWD_FUZZ_KEEP: $(ls "$VFWD_FUZZ_KEEP" | wc -l) inputs"
fi
