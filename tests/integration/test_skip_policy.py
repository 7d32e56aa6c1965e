# SPDX-License-Identifier: BSD-3-Clause
"""The skip policy: a test that cannot run fails (exit 1) unless VFWD_ALLOW_SKIP is exactly 1,
when it exits 77 (ctest's skip); VFWD_ALLOW_SKIP=0, 'no' or '' do not allow it. The harness's
skip() and scripts/test.sh's final check follow the same rule."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import check, log, run  # noqa: E402

PROBE = "import sys; sys.path.insert(0, %r); import harness; harness.skip('probe')" % HERE


def skip_exit(value):
    env = dict(os.environ)
    env.pop("VFWD_ALLOW_SKIP", None)
    if value is not None:
        env["VFWD_ALLOW_SKIP"] = value
    return subprocess.run([sys.executable, "-c", PROBE], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=30).returncode


def test_sh_allows(value):
    """scripts/test.sh's own rule, run on a log that shows a skipped test."""
    src = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
    rule = open(os.path.join(src, "scripts/test.sh")).read()
    line = [l for l in rule.splitlines() if "VFWD_ALLOW_SKIP" in l and l.startswith("if ")][0]
    script = 'log=$(mktemp); echo "1/1 Test #1: x ***Skipped" > "$log"; %s exit 1; fi; exit 0' % line
    env = dict(os.environ, VFWD_ALLOW_SKIP=value)
    return subprocess.run(["bash", "-c", script], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def main():
    for value, want in ((None, 1), ("", 1), ("0", 1), ("no", 1), ("1", 77)):
        rc = skip_exit(value)
        check(rc == want, "harness.skip with VFWD_ALLOW_SKIP=%r exits %d" % (value, rc))
    for value, want in (("", False), ("0", False), ("1", True)):
        check(test_sh_allows(value) == want, "test.sh with VFWD_ALLOW_SKIP=%r %s the skip"
              % (value, "allows" if want else "fails on"))
    log("PASS")


if __name__ == "__main__":
    run(main)
