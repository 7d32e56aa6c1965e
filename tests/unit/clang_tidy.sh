#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# clang_tidy.sh SOURCE_DIR BUILD_DIR: clang-tidy with the committed .clang-tidy over every C
# file of relay/ control/ stats/ src/ (two at a time); any finding fails.
set -eu
src=$1
build=$2
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$src"
ls relay/*.c control/*.c stats/*.c src/*.c | xargs -P2 -n4 clang-tidy -p "$build" --quiet \
	--extra-arg=-Wno-unknown-warning-option > "$out" 2>/dev/null || true
if grep -q "warning:\|error:" "$out"; then
	cat "$out"
	echo "clang-tidy: $(grep -c 'warning:\|error:' "$out") finding(s)"
	exit 1
fi
echo "clang-tidy: $(ls relay/*.c control/*.c stats/*.c src/*.c | wc -l) files, no finding"
