/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_control.c: the control request handlers against a live relay table (EAL without
 * hugepages, net_null VFs, one worker): port control, stats, config and core scheduler.
 * The first byte picks the handler; the rest is the serialized request. Requests that would
 * touch the host are skipped: devices other than net_null*, PCI addresses outside domain
 * ffff (none exists), socket paths outside the test's directory. Every 64 inputs all relays
 * and their sockets are removed, so adds keep succeeding.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>

#include "ctl.h"
#include "daemon.h"
#include "fuzz.h"
#include "relay.h"
#include "virtioforwarder.pb-c.h"

static char dir[] = "/tmp/vfwd-fuzz-XXXXXX";
static struct ctl_config cfg = {.ipc_gid = (gid_t)-1, .dynamic_sockets = true};

/* At exit: relays, EAL, its runtime directory and our socket directory go. */
static void cleanup(void)
{
	char runtime_dir[PATH_MAX], cmd[PATH_MAX + 16];

	relay_engine_stop();
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	eal_runtime_dir_remove(runtime_dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz_control: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct relay_params p;
	char prefix[64];
	char *eal[] = {"fuzz_control", "--lcores=0@0,1@1", "--no-huge", "-m256", "--no-pci",
		       "--log-level=1", prefix, NULL};

	(void)argc, (void)argv;
	snprintf(prefix, sizeof(prefix), "--file-prefix=vfwd-fuzz-%d", getpid());
	if (!mkdtemp(dir) || rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])) - 1, eal) < 0)
		abort();
	relay_params_default(&p);
	cpuset_add(&p.workers, 1);
	p.dynamic = true;
	snprintf(p.vhost_dir, sizeof(p.vhost_dir), "%s", dir);
	snprintf(p.pattern, sizeof(p.pattern), "vf%%u.sock");
	snprintf(cfg.sysfs, sizeof(cfg.sysfs), "%s/no-sysfs", dir);
	if (relay_engine_start(&p))
		abort();
	atexit(cleanup);
	return 0;
}

/* False when @q names something outside the test's sandbox (see the top). */
static bool harmless(const Virtioforwarder__PortControlRequest *q)
{
	for (size_t i = 0; i < q->n_pci_addrs; i++)
		if (q->pci_addrs[i]->domain != 0xffff)
			return false;
	for (size_t i = 0; i < q->n_device; i++)
		if (strncmp(q->device[i], "net_null", 8))
			return false;
	return !q->vhost_path ||
	       (!strncmp(q->vhost_path, dir, strlen(dir)) && !strstr(q->vhost_path, ".."));
}

/* Seeds name the socket directory "/tmp/vfwd-fuzz-XXXXXX": made the real one (same length). */
static void placeholder_replace(uint8_t *data, size_t size)
{
	static const char ph[] = "/tmp/vfwd-fuzz-XXXXXX";
	const size_t n = sizeof(ph) - 1;

	for (size_t i = 0; i + n <= size; i++)
		if (!memcmp(data + i, ph, n))
			memcpy(data + i, dir, n);
}

static void port_control(const uint8_t *in, size_t size)
{
	Virtioforwarder__PortControlRequest *q;
	uint8_t *out = NULL, *data = malloc(size + 1);
	bool ok;

	if (!data)
		return;
	memcpy(data, in, size);
	placeholder_replace(data, size);
	q = virtioforwarder__port_control_request__unpack(NULL, size, data);
	ok = !q || harmless(q);
	if (q)
		virtioforwarder__port_control_request__free_unpacked(q, NULL);
	if (ok && (ctl_port_control(&cfg, data, size, &out) <= 0 || !out))
		abort(); /* every request gets an answer */
	free(out);
	free(data);
}

static void stats(const uint8_t *data, size_t size)
{
	struct ctl_stats_req *q;
	uint8_t *out = NULL;
	uint32_t delay;
	ssize_t n = 0;

	q = ctl_stats_parse(data, size, 1000000000ull, &delay, &out, &n);
	if (q)
		n = ctl_stats_answer(q, 2000000000ull, &out);
	if (n <= 0)
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int count;
	uint8_t *out = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		port_control(data + 1, size - 1);
		break;
	case 1:
		stats(data + 1, size - 1);
		break;
	case 2:
		if (ctl_config_handle(data + 1, size - 1, &out) <= 0)
			abort();
		break;
	default:
		if (ctl_core_sched(data + 1, size - 1, &out) <= 0)
			abort();
		break;
	}
	free(out);
	if (++count % 64 == 0)
		for (unsigned int id = 0; id < relay_max(); id++) {
			relay_remove(id);
			relay_remove_sock(id);
		}
	return 0;
}
