/* SPDX-License-Identifier: BSD-3-Clause */
/* relay_int.h: engine-private structures shared by relay.c, worker.c, vf.c and vhost.c. */
#ifndef VFWD_RELAY_INT_H
#define VFWD_RELAY_INT_H

/*
 * Threads, locks and what each may wait for
 * -----------------------------------------
 * Threads:
 *  - control thread (main lcore): the only writer of the relay table, the workers' lists and
 *    the VFs. relay_add/relay_remove, relay_links_poll; rte_vhost_driver_unregister() runs the
 *    destroy_device callback of a relay being removed on this thread.
 *  - workers (worker.c): read their published list (acquire), report a quiescent state after
 *    each pass. They take none of our locks, but rte_vhost_enqueue/dequeue_burst spin on the
 *    guest's vring access lock while rte_vhost holds it.
 *  - rte_vhost's threads (vhost.c callbacks): the event thread runs every callback; the
 *    reconnect thread (client mode) runs new_connection. rte_vhost 22.11 calls
 *    vring_state_changed with ALL of that guest's vring access locks held.
 *  - telemetry, stats (control/service.c) and logging threads: read through
 *    relay_snapshot_get() / relay_log_ident().
 *  - DPDK's interrupt thread: vfevent.c's callbacks (VF removal, reset, link) find their relay
 *    under the engine lock, set a request bit and wake the control thread; nothing more.
 *
 * Locks:
 *  - engine lock (relay.c): orders relay-table writes against lookups from other threads.
 *    Held only for lookups and copies, never across a grace period or a call into rte_vhost
 *    or ethdev.
 *  - ident lock (relay.c): log identities; a leaf, nothing is taken or awaited under it.
 *  - vring access locks (rte_vhost's own).
 *
 * Rules (checked by LOCK_RULE, in every build):
 *  1. Nobody waits for a grace period (workers_synchronize(), worker_attach/detach) while
 *     holding the engine lock. A callback can wait for the engine lock while holding a
 *     guest's vring locks, a worker can spin on those, and then the grace period never ends.
 *  2. A callback that runs under vring locks (vring_state_changed) takes none of our locks
 *     but the leaf ident lock (through logging): it finds its state through the vid slot
 *     (vhost_slots[vid]) and stores with atomics. Nor does it wait for a grace period: a
 *     worker arming interrupt mode (irq.c) spins on those vring locks, online for RCU.
 *  3. The vhost callbacks find their relay through the vid slot, which new_connection fills
 *     (under the engine lock, before any vring exists). The relay outlives its connections:
 *     relay_remove() frees it only after rte_vhost_driver_unregister() has returned, and that
 *     waits for the callbacks in progress on the socket.
 *  4. Workers take no lock and never wait, except inside rte_vhost as above; their only
 *     syscalls are the idle sleeps: timed ones offline for RCU, and the interrupt mode's
 *     epoll wait (irq.c), online, without a quiescent state between arming and disarming,
 *     and cut short by workers_synchronize() and workers_wake().
 *  5. Nothing waits for DPDK's interrupt thread (unregistering an ethdev or device-event
 *     callback, closing a port whose interrupt handler may be running) while holding the
 *     engine lock: a VF event callback there waits for it.
 */

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "dpdk_compat.h"
#include "relay.h"
#include "vlog.h"

struct relay;
struct rte_mbuf;

/*
 * One direction of one relay: the unit of work a worker polls. Its counters
 * have exactly one writer, the worker that serves it; readers snapshot them.
 */
struct relay_dir {
	struct relay_counters c;
	struct relay *relay;
	enum relay_dir_id id;
	int cpu; /* serving worker's lcore, -1 when unpublished (control thread) */
	/*
	 * VF->VM only, the serving worker's own cache of the guest RX queues of its lane: those
	 * enabled whose number is the lane's modulo the lanes (the lane's share of one of them
	 * when the guest has fewer queues than the VF).
	 */
	uint64_t qmask;		    /* the vid slot's rxq_mask it was built from */
	uint8_t nq;		    /* its RX queues */
	uint8_t qmap[RELAY_MAX_QP]; /* their queue numbers, ascending */
	/* VF queue pair it serves; guest queues lane, lane + nb_lanes, ... (fixed at creation) */
	uint8_t lane;
	/* The serving worker's idle backoff (worker.c): passes to skip, empty polls in a row
	 * (placed in holes: the struct stays 8 cache lines). */
	uint8_t skip;
	/*
	 * VF->VM only, written by the serving worker: wakes by timeout in interrupt mode that found
	 * frames on this VF queue, i.e. its RX interrupt did not fire (worker_doze). Once set, the
	 * queue can no longer arm: timed sleeps for it. Read by the control thread (relaxed).
	 */
	uint8_t irq_missed;
	/*
	 * VM->VF only: frames the VF did not take, sent before anything more is dequeued from
	 * the guest (its ring is the buffer). The serving worker's; the control thread frees
	 * them once the direction is unpublished (worker_detach).
	 */
	uint16_t nheld;
	uint32_t empty_polls; /* idle backoff, above */
	/* held[0]'s TCP payload bytes already sent as segments (software segmentation) */
	uint32_t seg_off;
	struct rte_mbuf *held[RELAY_BURST];
} __rte_cache_aligned;

struct relay {
	/*
	 * lane[l][d]: direction d of VF queue pair l, one unit of work each. Lanes below nb_lanes
	 * are published together; nb_lanes changes with the VF, while nothing is published.
	 */
	struct relay_dir lane[RELAY_MAX_LANES][2];
	unsigned int nb_lanes; /* VF queue pairs in use, 1 without a VF */
	/* Written by vhost callbacks (release), read by workers (acquire). */
	int vid;	   /* -1: no guest */
	uint32_t nr_vring; /* vrings of the connected guest */
	/* VF link and MTU: written by the control thread, read by workers (relaxed). */
	bool link_up;
	uint32_t link_speed; /* control thread */
	uint32_t max_frame;  /* longest frame the VF takes: MTU + L2 header, VLAN tag */
	uint16_t vf_mtu;     /* VF MTU now */
	uint16_t mtu_cap;    /* most the VF's buffers hold (control thread) */
	/*
	 * -T: offloads asked of the VF. tso_hw: it segments TSO frames itself (else those longer
	 * than its MTU are dropped as oversize); tx_prepare: frames with offload flags go
	 * through rte_eth_tx_prepare first. Set with the VF, while unpublished.
	 */
	bool tso_hw;
	bool tx_prepare;
	/* -T and the VF lacks some of TSO and the checksums: offload.c does them (VM->VF). */
	bool sw_offload;
	uint64_t tx_offloads;	  /* the VF's enabled TX offloads */
	uint16_t mtu_base;	  /* configured MTU, restored when a guest without one connects */
	uint16_t guest_mtu;	  /* guest's NET_MTU, 0: none (vhost thread writes) */
	uint32_t guest_max_frame; /* longest frame for the guest by its MTU, 0: no limit */
	uint16_t guest_mtu_done;  /* the guest MTU last acted on (control thread) */
	/* enum relay_side of each side, changed only through relay_apply(). */
	int vf_side; /* control thread */
	int vm_side; /* vhost callbacks */
	/* Control thread only. */
	unsigned int id;
	/*
	 * Both directions are published while the relay has a VF or a guest, and nothing while
	 * it has neither. vf_open, port and pool change only while both are unpublished, so
	 * workers read them plainly.
	 */
	bool published;
	uint16_t port;
	int socket_id;
	bool vf_open;
	bool sock_open;
	bool is_pci;
	bool vf_irq; /* its RX queues can wake an idle worker (irq.c); set with the VF */
	/*
	 * What real VFs do (vfevent.c). vf_req: requests the EAL interrupt thread posts (VF_REQ_*,
	 * atomic or; the control thread takes them with an exchange). The rest is the control
	 * thread's: the VF was taken away and is waited for (vf_lost, its names kept; written under
	 * the engine lock for snapshots), when to look for it next, and what was said once.
	 */
	uint32_t vf_req;
	bool vf_lost;
	bool lsc;		 /* link state from LSC interrupts, polled at 1 Hz only */
	unsigned int link_polls; /* link checks, for that 1 Hz */
	bool irq_miss_told;	 /* "RX interrupt does not fire" logged */
	uint8_t mac_state;	 /* enum relay_mac_state */
	uint64_t retake_tsc;	 /* lost: next look for the VF */
	unsigned int retake_gap; /* lost: seconds between looks, doubling up to a limit */
	int retake_err;		 /* lost: why the last look failed (logged when it changes) */
	/*
	 * Guest MAC learning, for VFs that receive only for their own MAC (no unicast promiscuous
	 * mode: most VFs without trust). mac_learn is set with the VF (unpublished), so workers
	 * read it plainly; guest_mac (6 bytes in a uint64, 0: none) is written by lane 0's VM->VF
	 * worker alone, relaxed; mac_done is the control thread's: the MAC last acted on.
	 */
	bool mac_learn;
	uint64_t guest_mac;
	uint64_t mac_done; /* given to the VF, or reported */
	uint64_t mac_want; /* being given: its tries, the next one's time, the VF's MAC before */
	unsigned int mac_tries;
	uint64_t mac_next;
	uint64_t mac_vf;
	struct rte_mempool *pool;
	char dev[RELAY_DEV_LEN];     /* as requested (PCI addresses normalised) */
	char devargs[RELAY_DEV_LEN]; /* what is probed: dev, or its alias */
	char name[RELAY_DEV_LEN];    /* ethdev / bus device name */
	char path[PATH_MAX];	     /* vhost-user socket */
	/* The VFs behind the port: one, or 2..RELAY_BOND_MAX under a bonding device. */
	unsigned int nb_members;
	unsigned int bond_mode;
	char bond_name[32];
	struct relay_member {
		char dev[RELAY_DEV_LEN];  /* as requested (PCI normalised) */
		char name[RELAY_DEV_LEN]; /* probed device name */
		bool is_pci;
		bool probed;
		uint16_t port;
	} member[RELAY_BOND_MAX];
};

/*
 * What rte_vhost's callbacks know of one connection (vid), without a lock (rules 2 and 3).
 * rte_vhost 22.11 numbers devices below 1024 (MAX_VHOST_DEVICE); larger ones are refused.
 */
#define VHOST_VID_MAX	  1024
#define VHOST_VRING_WORDS 4 /* 256 vrings: rte_vhost's most */
#define VHOST_TXQ_WORDS	  2 /* 128 guest TX queues: rte_vhost's most queue pairs */

struct vhost_slot {
	struct relay *relay; /* whose socket the connection is on (new_connection), or NULL */
	uint64_t rxq_mask;   /* guest RX queues enabled, bit q: vring 2q (vring_state_changed) */
	uint64_t txq_mask[VHOST_TXQ_WORDS]; /* guest TX queues enabled, bit q: vring 2q + 1 */
	/* vrings given a size since their last stop (vhost.c's message guard, its thread only) */
	uint64_t sized[VHOST_VRING_WORDS];
};
extern struct vhost_slot vhost_slots[VHOST_VID_MAX];

/* Guest RX queues connection @vid has enabled. Any thread (workers: each VF->VM burst). */
static inline uint64_t vhost_rxq_mask(int vid)
{
	return (unsigned int)vid < VHOST_VID_MAX
		       ? __atomic_load_n(&vhost_slots[vid].rxq_mask, __ATOMIC_RELAXED)
		       : 0;
}

/* Word @w of the guest TX queues connection @vid has enabled. Any thread (workers: VM->VF). */
static inline uint64_t vhost_txq_mask(int vid, unsigned int w)
{
	return (unsigned int)vid < VHOST_VID_MAX
		       ? __atomic_load_n(&vhost_slots[vid].txq_mask[w], __ATOMIC_RELAXED)
		       : 0;
}

/* Has a worker found that one of @r's VF queues' RX interrupt does not fire? Any thread. */
static inline bool relay_vf_irq_missed(const struct relay *r)
{
	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++)
		if (__atomic_load_n(&r->lane[l][RELAY_VF_TO_VM].irq_missed, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* Abort with a log line naming the broken lock rule: a silent deadlock is worse. */
void lock_rule_broken(const char *rule, const char *file, int line) __attribute__((noreturn));
#define LOCK_RULE(cond, rule)                                                                      \
	do {                                                                                       \
		if (unlikely(!(cond)))                                                             \
			lock_rule_broken(rule, __FILE__, __LINE__);                                \
	} while (0)

/* Log an error and keep it as this thread's relay_last_error(). */
void relay_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define RERR(fmt, ...) relay_error(fmt, ##__VA_ARGS__)

/* The step relay_add*() is in, kept for relay_last_step(). */
void relay_step(enum relay_step s);

/* checks before relay_add*() creates anything (checks.c); control thread, -errno + RERR */
void relay_dev_normalize(const char *dev, char *out, size_t len);
int relay_add_check(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		    const char *name);
int relay_path_check(unsigned int id, const char *path);

/* engine (relay.c) */
const struct relay_params *engine_params(void);
/* The engine lock (rules above): never recursive, never under vring locks. */
void engine_lock(void);
void engine_unlock(void);
/* Does this thread hold the engine lock? */
bool engine_lock_held(void);
/* This thread runs a callback under a guest's vring locks (rule 2); engine_lock() refuses. */
void engine_vring_locked(bool in);
/* Does this thread run such a callback? */
bool engine_vring_lock_held(void);
/* Relay @id, or NULL. Control thread, or any thread holding the engine lock. */
struct relay *engine_relay(unsigned int id);
/* Relay whose socket is @path, or NULL. Caller holds the engine lock. */
struct relay *engine_find_by_path(const char *path);
/*
 * Take @r's directions from the workers, keeping what they held (relay_sync() gives them back):
 * the VF is the control thread's alone in between (its MTU changed on a stopped port).
 */
void relay_pause(struct relay *r);
/*
 * publish.c: both directions of @r on workers while it has a VF or a guest, none otherwise
 * (0 or -errno); relay_unpublish() takes them back and drops what they held. Control thread.
 */
int relay_sync(struct relay *r);
void relay_unpublish(struct relay *r);
/* The engine runs (relay_engine_start() done). */
bool engine_started(void);
/* Forget this thread's relay_last_error() before an operation. */
void relay_error_clear(void);
/* Move side @side (&r->vf_side or &r->vm_side) of @r along @ev; -EINVAL (logged) if refused. */
int relay_apply(struct relay *r, int *side, enum relay_event ev);
/* Wake the control thread to publish or unpublish relays (a guest came or went). Any thread. */
void engine_notify(void);

/* workers (worker.c) */
int workers_start(const struct relay_params *p);
void workers_stop(void);
/*
 * Publish @d on the worker of lcore @cpu (-1: the least loaded of those on NUMA node @node,
 * or of all when none is there or @node is -1). 0 or -errno.
 */
int worker_attach(struct relay_dir *d, int cpu, int node);
/* Unpublish @d and wait until no worker can still see it; then free what it held. */
void worker_detach(struct relay_dir *d);
/* The same, keeping what it held for the VF (sent first once it is published again). */
void worker_unpublish(struct relay_dir *d);
/* -1 when every worker made progress since the last call, else the lcore of one that did not. */
int workers_progressed(void);
/* Test hook: make the first worker stop making progress. */
void workers_stall_one(void);
/* Measure each worker's load since the last call (placement uses it). Control thread, ~10 Hz. */
void workers_sample(void);
/* Busy cycles of each worker (relay_workers_load). */
unsigned int workers_load(struct relay_worker_load *out, unsigned int max);
/* Test hook: sleeps in interrupt mode last up to @ms (IRQ_SLEEP_MS). */
void workers_irq_sleep(unsigned int ms);
/* Test hook: every grace period lasts @us longer (as after a worker's long pass). */
void workers_slow_grace(unsigned int us);
/* Wait until every worker has finished the iteration it was in (rule 1: no engine lock). */
void workers_synchronize(void);

/* Wake the workers asleep in interrupt mode (irq.c) to look again at what they serve: after
 * a store that changes it (a guest's vid, its queues), any thread, no lock taken or awaited. */
void workers_wake(void);

/* interrupt mode of idle workers (irq.c): all but irq_wake() on the owning worker only */
struct worker_irq;
/* A worker's epoll set and wake-up fd; NULL (logged) if they cannot be made. */
struct worker_irq *irq_create(void);
void irq_destroy(struct worker_irq *x);
/*
 * Arm what can bring frames to directions @dirs: 0, or -errno with nothing left armed when
 * one of them cannot wake the worker (a VF without RX interrupts, a guest without kick fds).
 */
int irq_arm(struct worker_irq *x, struct relay_dir *const *dirs, unsigned int n);
/* Sleep until an armed source fires, irq_wake(), or @ms pass: 0 when the time ran out. */
int irq_sleep(struct worker_irq *x, int ms);
/* Undo irq_arm(): polling, guests asked not to kick. */
void irq_disarm(struct worker_irq *x);
/* Make irq_sleep() return, now or at once next time. Any thread. */
void irq_wake(struct worker_irq *x);

/* the data path (datapath.c) */
/* One pass over @d: the frames it took in. Its worker only. */
unsigned int dir_poll(struct relay_dir *d);
/* Drop, as not connected, what @d held for the VF. Only once no worker sees @d. */
void dir_drop_held(struct relay_dir *d);
/* Make the pool frames of guests without a VF are taken into (once); free it. Control thread. */
int dir_drop_pool(void);
void dir_drop_pool_free(void);

/* software offloads for a VF without them (offload.c), its worker only */
#define OFFLOAD_SEGMENT 1
/*
 * Do in software what frame @m asks of a VF whose enabled TX offloads are @vf_offloads
 * (checksums), clearing those flags: 0 when it goes as it is, OFFLOAD_SEGMENT when it is to be
 * segmented (offload_segment), -EINVAL for headers that make no sense, -EMSGSIZE for segments
 * longer than @max bytes.
 */
int offload_complete(struct rte_mbuf *m, uint64_t vf_offloads, uint32_t max);
/* TCP payload bytes of a frame to segment. */
uint32_t offload_seg_payload(const struct rte_mbuf *m);
/* Up to @max segments of @m's payload from byte @off, into @segs; how many were made. */
unsigned int offload_segment(struct rte_mempool *mp, const struct rte_mbuf *m, uint32_t off,
			     struct rte_mbuf **segs, unsigned int max);
/* Single-writer counter update: a relaxed load and store, no locked instruction. */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* mbuf pools (mpool.c): per-lcore caches of this many for the lcores the EAL enabled. */
#define RELAY_POOL_CACHE RELAY_BURST
/* A pool of @n mbufs of @data_room bytes on @socket_id; NULL with rte_errno set. */
struct rte_mempool *relay_pool_create(const char *name, unsigned int n, uint16_t data_room,
				      int socket_id);

/* VF glue (vf.c) */
int vf_open(struct relay *r, const struct relay_params *p);
void vf_close(struct relay *r);
/* Active-backup bond whose active member lost its link: make an up member primary (vfevent.c). */
void vf_bond_check(struct relay *r);
/* Poll the VF link; publish and log changes. */
void vf_link_check(struct relay *r);
/* Apply a newly announced guest MTU to the VF, or log why not. */
void vf_mtu_follow(struct relay *r);

/* What real VFs do (vfevent.c); control thread unless said */
#define VF_REQ_LOST  1u /* the device is being removed (vfio request, ethdev INTR_RMV) */
#define VF_REQ_RESET 2u /* its PF reset it (ethdev INTR_RESET) */
#define VF_REQ_LINK  4u /* link state changed (LSC interrupt) */
enum relay_mac_state {
	MAC_NONE,     /* nothing learned, or the guest uses the VF's own MAC */
	MAC_SET,      /* the VF receives for the guest's MAC too (filter or default MAC) */
	MAC_MISMATCH, /* the PF fixed the VF's MAC (administrative) and the guest's differs */
	MAC_REFUSED,  /* the VF refused the guest's MAC */
};
/* Register / unregister the ethdev and device-event callbacks (engine start and stop). */
int vf_events_start(void);
void vf_events_stop(void);
/* Act on what the interrupt thread posted for @r (relay_events_handle). */
void vf_requests_handle(struct relay *r);
/* Once a poll (10 Hz): interrupts that do not fire, the guest's MAC, a lost VF's return. */
void vf_watch(struct relay *r);
/* vfevent.c's state of @r into @out (relay_snapshot_get, engine lock held). */
void vf_watch_snapshot(const struct relay *r, struct relay_snapshot *out);
/* VF @pci as its PF sees it (pfinfo.c). */
struct pf_vf {
	char pf_if[17]; /* the PF's network device */
	int vf;		/* the VF's index on it */
	uint8_t mac[6]; /* the VF's MAC the PF holds (zero: none) */
};
/* 0 and @out, or -errno (not a VF, the PF has no network device, netlink failed). */
int pf_vf_info(const char *pci, struct pf_vf *out);
/* Start @r's VF again after a reset: configure, queues, start; its pool kept (vf.c). */
int vf_restart(struct relay *r, const struct relay_params *p);
/* The VF went away under @r: release it, keep its names, wait for it. */
void relay_vf_lose(struct relay *r, const char *why);
/* A lost VF is back: open and publish it again. 0 or -errno. */
int relay_vf_retake(struct relay *r);
/* Is each PCI device of @r there and on vfio-pci (bound where configured)? 0, or -errno, @why. */
int vf_ready(const struct relay *r, char *why, size_t len);
/* Read @r's VF link now; log a change (vf.c). */
void vf_link_read(struct relay *r);

/* vhost-user glue (vhost.c) */
int vhost_open(struct relay *r, const struct relay_params *p);
/* Unregister @r's socket (destroy_device runs here when a guest is connected). */
void vhost_close(struct relay *r, const struct relay_params *p);

#endif
