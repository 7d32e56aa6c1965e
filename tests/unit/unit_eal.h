/* SPDX-License-Identifier: BSD-3-Clause */
/* unit_eal.h: suites that need DPDK: one in-process EAL (no hugepages), an engine on temp sockets.
 */
#ifndef VFWD_UNIT_EAL_H
#define VFWD_UNIT_EAL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>

#include "daemon.h"
#include "relay.h"
#include "unit.h"

/* The engine parameters of the suite (filled by unit_eal_init, adjusted by the test). */
static struct relay_params unit_params;

/* Checked fixture: an engine per test, stopped (every relay removed) after it. */
static inline void unit_engine_start(void)
{
	ck_assert_int_eq(relay_engine_start(&unit_params), 0);
}

static inline void unit_engine_stop(void)
{
	relay_engine_stop();
}

/*
 * Start EAL for test @name (lcores 0, 1 and 2, the last two on CPU 1), make the
 * socket directory @dir (a mkdtemp template) and fill @p for one worker on lcore 1.
 * Returns 0 or -1 (message printed).
 */
static inline int unit_eal_init(const char *name, char *dir, struct relay_params *p)
{
	char prefix[64];
	char *argv[] = {(char *)name,	"--lcores=0@0,1@1,2@1", "--no-huge", "-m128", "-a",
			"ffff:ff:1f.7", "--log-level=4",	prefix,	     NULL};

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=vfwd-unit-%s-%d", name, getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0) {
		fprintf(stderr, "%s: EAL init failed\n", name);
		return -1;
	}
	relay_params_default(p);
	cpuset_add(&p->workers, 1);
	snprintf(p->vhost_dir, sizeof(p->vhost_dir), "%s", dir);
	snprintf(p->pattern, sizeof(p->pattern), "vf%%u.sock");
	return 0;
}

/* Run @s in this process (EAL cannot start twice), then clean EAL's and our files up. */
static inline int unit_eal_run(Suite *s, const char *dir)
{
	char runtime_dir[PATH_MAX];
	int ret;

	setenv("CK_FORK", "no", 1);
	ret = unit_run(s);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	eal_runtime_dir_remove(runtime_dir);
	rmdir(dir);
	return ret;
}

#endif
