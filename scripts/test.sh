#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh: set up, build and run the whole test suite through ctest, one test at a time
# (the machines have two cores and the tests run busy-polling processes).
# A test that cannot run fails the suite unless VFWD_ALLOW_SKIP=1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${VFWD_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "$build"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
ctest --output-on-failure --timeout 300 "$@" 2>&1 | tee "$log" || status=$?
if grep -q "(Skipped)\|\*\*\*Skipped" "$log" && [ "${VFWD_ALLOW_SKIP:-}" != 1 ]; then
	echo "test.sh: tests were skipped and VFWD_ALLOW_SKIP is not 1: failing" >&2
	status=1
fi
exit $status
