/* SPDX-License-Identifier: BSD-3-Clause */
/* notify.c: systemd readiness, one-line status and a watchdog that only pings while workers work.
 */
#include <stdio.h>
#include <unistd.h>

#include <rte_log.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "relay.h"
#include "stats.h"
#include "vlog.h"

static int stuck_lcore = -1; /* the worker last reported stuck (control thread) */

/* "3 relays, 2 VMs connected, 123456 pps": relays with a VF, guests connected */
static void status_line(char *buf, size_t len)
{
	unsigned int ids[RELAY_MAX], n = relay_list(ids), vfs = 0, vms = 0;
	struct relay_snapshot s;
	struct stats_rates rt[2];
	double pps = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (relay_snapshot_get(ids[i], &s))
			continue;
		vfs += s.vf_side == RELAY_SIDE_UP;
		vms += s.vm_side == RELAY_SIDE_UP;
		stats_rolling_rates(ids[i], rt);
		pps += rt[RELAY_VF_TO_VM].tx_pps + rt[RELAY_VM_TO_VF].tx_pps;
	}
	snprintf(buf, len, "%u relay%s, %u VM%s connected, %.0f pps", vfs, vfs == 1 ? "" : "s", vms,
		 vms == 1 ? "" : "s", pps);
}

void notify_ready(void)
{
	char status[128];

	status_line(status, sizeof(status));
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%ld", status, (long)getpid());
}

void notify_tick(void *arg)
{
	uint64_t usec;
	char status[128];
	int stuck;

	(void)arg;
	status_line(status, sizeof(status));
	stuck = relay_workers_check();
	if (stuck >= 0 && stuck != stuck_lcore)
		VLOG(ERR,
		     "worker on lcore %d made no progress for a second: the watchdog is no "
		     "longer pinged",
		     stuck);
	else if (stuck < 0 && stuck_lcore >= 0)
		VLOG(NOTICE, "all workers make progress again");
	stuck_lcore = stuck;
	if (stuck < 0 && sd_watchdog_enabled(0, &usec) > 0)
		sd_notifyf(0, "WATCHDOG=1\nSTATUS=%s", status);
	else
		sd_notifyf(0, "STATUS=%s%s", status, stuck >= 0 ? " (a worker is stuck)" : "");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
