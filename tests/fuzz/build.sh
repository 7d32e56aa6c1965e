#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# build.sh SOURCE_DIR FUZZ_BUILD_DIR: the fuzz build (clang; libFuzzer, ASan, UBSan) of the
# libFuzzer targets only. Incremental: a second run rebuilds what changed.
set -eu
src=$1
out=$2
cmake -S "$src" -B "$out" -DCMAKE_C_COMPILER=clang -DVFWD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	> "$out.configure.log" 2>&1 || { cat "$out.configure.log"; exit 1; }
nice cmake --build "$out" --target fuzz_targets -j2
