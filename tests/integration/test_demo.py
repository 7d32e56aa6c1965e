# SPDX-License-Identifier: BSD-3-Clause
"""The README's first command, `bash scripts/demo.sh`, works, and works again: a second run finds
nothing the first one left (a relay it added at run time once came back from the default state
directory and made the second `add` fail)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, HERE, log, require_env, run  # noqa: E402

SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))


def main():
    require_env()
    for attempt in (1, 2):
        r = subprocess.run(["timeout", "-s", "KILL", "300", "bash",
                            os.path.join(SRC, "scripts/demo.sh")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = r.stdout
        if r.returncode:
            log(out[-4000:])
        check(r.returncode == 0, "demo run %d exits 0" % attempt)
        check("status: OK" in out, "demo run %d: relay 0 added through port_control" % attempt)
        check(" 0% packet loss" in out, "demo run %d: pings through the relay, 0%% loss" % attempt)
        check("daemon exited 0" in out, "demo run %d: the daemon stopped cleanly" % attempt)
    check(not os.path.exists("/var/lib/virtio-forwarder/relays"),
          "the demo keeps its run-time relay in its own state dir")
    log("PASS")


if __name__ == "__main__":
    run(main)
