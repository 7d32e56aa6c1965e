/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay.h: the relay engine's API (VF <-> vhost-user relays, workers), for the daemon, the
 * control plane and the stats sampler. Each function says which thread may call it: changes
 * are the control thread's alone (it owns the relay table); readers marked "any thread" may
 * run elsewhere (telemetry, journald). Workers and vhost callbacks are internal (relay_int.h).
 */
#ifndef VFWD_RELAY_H
#define VFWD_RELAY_H

#include "relay_pure.h"

/* ---- the engine (relay.c, worker.c, vf.c, vhost.c) ---------------------- */

/*
 * Per-direction counters: pkts/bytes received, sent, dropped (far queue full, far side down or
 * without link, frame longer than the far side's MTU allows), and the TSC cycles of the
 * worker's passes where this direction moved frames, its share by frames when others moved
 * frames in the same pass (cycles per packet: busy_cycles over rx_pkts). VM->VF never drops for a
 * full VF queue: it holds the frames and retries.
 */
struct relay_counters {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t full_pkts, full_bytes;
	uint64_t down_pkts, down_bytes;
	uint64_t big_pkts, big_bytes;
	uint64_t busy_cycles;
	uint64_t retries; /* extra enqueue / transmit attempts for frames the far side refused */
	uint64_t moves;	  /* moved between workers: the control thread's, while unpublished */
	uint64_t sw_segmented; /* VM->VF: TSO frames the relay segmented itself (offload.c) */
};

/* One worker's busy TSC cycles (passes that moved frames) and the TSC when they were read. */
struct relay_worker_load {
	unsigned int lcore;
	uint64_t busy_cycles;
	uint64_t tsc;
	uint64_t irq_sleeps; /* sleeps in interrupt mode (--idle-interrupts) */
};

struct relay_snapshot {
	unsigned int id;
	enum relay_side vf_side, vm_side;
	bool has_socket;
	char dev[RELAY_DEV_LEN];     /* as requested (PCI normalised) */
	char devargs[RELAY_DEV_LEN]; /* as probed (alias resolved) */
	char path[PATH_MAX];
	int port;
	int socket_id;
	int vid;		   /* -1 when no guest */
	unsigned int nr_vring;	   /* guest vrings when connected */
	unsigned int mbufs;	   /* relay mempool size */
	unsigned int mbufs_in_use; /* taken from it now (rings, bursts, lcore caches) */
	int cpu[2];		   /* worker of each direction (of queue pair 0) */
	bool pinned[2];		   /* an operator's pin (-c): only the operator moves it */
	/* VF queue pairs, each direction of each one a unit of placement (--vf-queues) */
	unsigned int nb_lanes;
	struct relay_lane_snapshot {
		int cpu[2];
		uint64_t rx_pkts[2];
		uint64_t busy_cycles[2];
	} lane[RELAY_MAX_LANES];
	unsigned int nb_members; /* > 1: a bond */
	unsigned int bond_mode;
	char bond_name[32];
	bool link_up;		/* VF link, as last polled */
	uint32_t link_speed;	/* Mb/s, 0 when unknown */
	unsigned int vf_mtu;	/* VF MTU now */
	unsigned int guest_mtu; /* MTU the guest announced (vhost-user NET_MTU), 0: none */
	/* What real VFs do (vfevent.c) */
	bool vf_lost;	       /* its VF was taken away; waited for, taken back when it returns */
	const char *rx_irq;    /* "on", "off" (none, or interrupt mode off), "not_firing" */
	const char *mac_state; /* guest MAC on a VF filtering by MAC: "", "set", "mismatch",
				  "refused" */
	char guest_mac[18];    /* learned from the guest's frames ("" none or not learning) */
	struct relay_counters c[2]; /* all queue pairs together */
};

/*
 * Start the engine after rte_eal_init(): validate pins against the worker set, launch one
 * worker per CPU and, unless p->dynamic, give every relay id below relay_max() its socket
 * (listening, or dialled in client mode). Returns 0 or -errno (message logged).
 */
int relay_engine_start(const struct relay_params *p);
/*
 * How many relays this build can have: RELAY_MAX, capped by the linked DPDK's ethdev ports
 * (RTE_MAX_ETHPORTS; each relay's VF is a port, a bond one more per member). Any thread.
 */
unsigned int relay_max(void);
/*
 * The engine's event fd: readable when a guest came or went. The control loop polls it and
 * calls relay_events_handle(), which publishes or unpublishes those relays' directions.
 */
int relay_event_fd(void);
void relay_events_handle(void);
/* Remove every relay, stop and join the workers. Safe when not started. */
void relay_engine_stop(void);

/*
 * Give relay @id the VF @dev (PCI address or DPDK device string): probe and start it, and
 * publish both directions to workers. The relay's socket is there already (it was opened at
 * start, or by relay_add_at()); a guest connected to it keeps its connection. -EEXIST when
 * the relay has a VF. Returns 0 or -errno; on error nothing changed. Control thread only.
 */
int relay_add(unsigned int id, const char *dev);
/*
 * Create relay @id over a bond of @n VFs @devs (2..8; 1 is relay_add()) with
 * bonding @mode 0..6, device name net_bonding_@name (NULL: _relay<id>).
 * Returns 0 or -errno; on error nothing is left. Control thread only.
 */
int relay_add_bond(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		   const char *name);
/*
 * The same, and open the relay's vhost-user socket at @path first when it has none (dynamic
 * sockets: ADD_SOCK). @path NULL: the socket it has, if any.
 */
int relay_add_at(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		 const char *name, const char *path);
/* Lowest unused relay id, or -ENOSPC. Control thread. */
int relay_free_id(void);
/* Members of relay @id's bond into @out (first is the relay's dev); returns how many, 0 if none. */
unsigned int relay_members(unsigned int id, char out[RELAY_BOND_MAX][RELAY_DEV_LEN]);

/*
 * Why the last relay_add()/relay_remove() on this thread failed, one line
 * naming what was wrong ("" after success).
 */
const char *relay_last_error(void);
/* Which step of the last relay_add*() on this thread failed (the control protocol's codes). */
enum relay_step {
	RELAY_STEP_CHECK,     /* arguments, relay id, a device or socket already in use */
	RELAY_STEP_SOCKET,    /* registering the vhost-user socket */
	RELAY_STEP_PROBE,     /* probing the VF, or the bonding device over the members */
	RELAY_STEP_MEMBER,    /* probing a bond member */
	RELAY_STEP_CONFIGURE, /* device info, configure, descriptors */
	RELAY_STEP_POOL,      /* the mbuf pool */
	RELAY_STEP_RXQ,
	RELAY_STEP_TXQ,
	RELAY_STEP_START,
	RELAY_STEP_WORKER, /* publishing to the workers */
};
enum relay_step relay_last_step(void);
/* Socket path relay @id has or would have. 0, -ERANGE or -ENAMETOOLONG. Any thread. */
int relay_socket_name(unsigned int id, char *buf, size_t len);
/* Id of the relay whose VF (for a bond: a member) is @dev, any PCI spelling, or -ENOENT.
 * Takes the engine lock. */
int relay_find_by_dev(const char *dev);
/* Id of the relay whose socket is @path, or -ENOENT. Any thread. */
int relay_find_by_path(const char *path);

/*
 * Take relay @id's VF away (unpublished, grace period, closed); its socket and a connected
 * guest stay, and what the guest sends is dropped as "not connected". 0, -ENOENT (no VF).
 */
int relay_remove(unsigned int id);
/* Close relay @id's socket (the guest is disconnected), then remove its VF. 0 or -ENOENT. */
int relay_remove_sock(unsigned int id);
/*
 * Before a PCI VF is probed (added, or lost and back): @fn says whether PCI device @pci is
 * ready for DPDK (bound to vfio-pci, binding it where the configuration asks), 0 or -errno with
 * a reason in @why. Without a hook, a device that is there is probed. Control thread.
 */
void relay_vf_ready_hook(int (*fn)(const char *pci, char *why, size_t len));
/* Fill @out with ids of relays that have a socket or a VF; returns how many. Any thread. */
unsigned int relay_list(unsigned int out[RELAY_MAX]);
/* Consistent copy of relay @id's state and counters. 0 or -ENOENT. Any thread. */
int relay_snapshot_get(unsigned int id, struct relay_snapshot *out);
/*
 * Check VF links (state for the data path and stats, logged on change; bond failover where the
 * PMD cannot see it) and apply guest MTUs to VFs. Control thread, ~10 Hz.
 */
void relay_links_poll(void);
/*
 * -1 when every worker passed over its work since the last call, else the lcore of a
 * worker that did not (stuck). Control thread, called at the watchdog's pace.
 */
int relay_workers_check(void);
/*
 * Move direction @d of relay @id to the worker on lcore @cpu, live: it is unpublished (the
 * grace period ends any pass over it), then published on the new worker; what VM->VF held is
 * kept, frames wait in their rings meanwhile, so nothing is lost and no two workers ever poll
 * one queue. 0 (also when it is there already), -ENOENT (not on a worker: no VF or guest),
 * -EINVAL (@cpu is not a worker). Control thread.
 */
int relay_move(unsigned int id, enum relay_dir_id d, int cpu);
/*
 * The same for direction @d of queue pair @lane alone (-1: every one, as relay_move()).
 * -ENOENT also when the relay has no such queue pair. Control thread.
 */
int relay_move_lane(unsigned int id, enum relay_dir_id d, int lane, int cpu);
/* Worker lcores, ascending, into @out (at most @max); returns how many. Any thread. */
unsigned int relay_worker_cpus(unsigned int *out, unsigned int max);
/* Fill @out with up to @max workers' loads; returns how many. Any thread. */
unsigned int relay_workers_load(struct relay_worker_load *out, unsigned int max);
/* Test hook (VFWD_TEST_HOOKS=1, SIGUSR2): make one worker stop making progress. */
void relay_test_stall_worker(void);
/* Test hook (VFWD_TEST_GRACE_DELAY_US): every grace period lasts @us longer. Control thread. */
void relay_test_slow_grace(unsigned int us);
/* Test hook (VFWD_TEST_IRQ_SLEEP_MS): sleeps in interrupt mode last up to @ms. */
void relay_test_irq_sleep(unsigned int ms);
/*
 * Test hook (VFWD_TEST_FAIL_START, VFWD_TEST_FAIL_IRQ_START): starting device @dev (its name)
 * fails; @with_irq_only: only while RX interrupts are configured. Control thread.
 */
void relay_test_fail_start(const char *dev, bool with_irq_only);
/*
 * Test hook (VFWD_TEST_VF_EVENT, SIGUSR2): what a real VF's driver or the kernel would report for
 * every relay's VF: "reset" (ethdev INTR_RESET) and "rmv" (INTR_RMV) through the engine's
 * handler, "remove" (a vfio device request) through EAL's device-event dispatch. How many VFs,
 * or -EINVAL. Control thread.
 */
int relay_test_vf_event(const char *what);
/* VF and socket of relay @id for log records; false when unknown. Any thread, never blocks long. */
bool relay_log_ident(unsigned int id, char *dev, size_t dlen, char *path, size_t plen);
/* Log one line per relay with state and counters (control thread). */
void relay_log_all(void);

#endif
