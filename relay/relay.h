/* SPDX-License-Identifier: BSD-3-Clause */
/* relay.h: public interface of the relay engine (VF <-> vhost-user relays, workers). */
#ifndef VFWD_RELAY_H
#define VFWD_RELAY_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RELAY_MAX	  64  /* relay ids 0..63 */
#define RELAY_BURST	  32  /* packets per burst, both directions */
#define CPUSET_MAX	  256 /* highest CPU number + 1 we accept */
#define RELAY_DEV_LEN	  256 /* DPDK device string or PCI address */
#define RELAY_PATTERN_LEN 128
#define RELAY_BOND_MAX	  8  /* VFs in one bond */
#define RELAY_MAX_QP	  64 /* guest RX queues VF->VM traffic is spread over */

/* ---- CPU sets (cpuset.c) ------------------------------------------------ */

struct cpuset {
	uint64_t w[CPUSET_MAX / 64];
};

/*
 * Parse "1,2", "1-3,7" or a hex bitmap "0x6" into @set.
 * Returns 0, or -EINVAL (empty set, bad syntax, CPU >= CPUSET_MAX).
 */
int cpuset_parse(const char *s, struct cpuset *set);
void cpuset_zero(struct cpuset *set);
void cpuset_add(struct cpuset *set, unsigned int cpu);
bool cpuset_has(const struct cpuset *set, unsigned int cpu);
unsigned int cpuset_count(const struct cpuset *set);
/* Next CPU in @set at or after @from, or -1. */
int cpuset_next(const struct cpuset *set, unsigned int from);
/* Format as a comma list ("1,2,5"); returns 0 or -ENOSPC. */
int cpuset_format(const struct cpuset *set, char *buf, size_t len);

/* ---- names and states (state.c) ---------------------------------------- */

/* One relay's life; the VF-side and guest-side state names derive from it. */
enum relay_state {
	RELAY_UNINIT = 0, /* being set up */
	RELAY_ADDED,	  /* VF started, no guest connected */
	RELAY_READY,	  /* VF started, guest connected */
	RELAY_REMOVING,	  /* being torn down */
};

enum relay_event {
	RELAY_EV_VF_ADDED,
	RELAY_EV_GUEST_UP,
	RELAY_EV_GUEST_DOWN,
	RELAY_EV_REMOVE,
};

/* The state @ev leads to from @s, or -EINVAL when @ev is not allowed in @s. */
int relay_state_next(enum relay_state s, enum relay_event ev);
/* Reference names: DPDK_UNINIT, DPDK_ADDED, DPDK_READY, DPDK_REMOVING1. */
const char *relay_vf_state_name(enum relay_state s);
/* Reference names: VIRTIO_UNINIT, VIRTIO_READY, VIRTIO_REMOVING1. */
const char *relay_vm_state_name(enum relay_state s);
const char *relay_event_name(enum relay_event ev);

/*
 * Socket path of relay @id: @dir "/" @pattern with its single "%u" replaced
 * by @id. Returns 0, -EINVAL (pattern without exactly one %u, or another
 * '%' conversion) or -ENAMETOOLONG.
 */
int relay_socket_path(const char *dir, const char *pattern, unsigned int id, char *buf, size_t len);
/* 0 when @pattern holds exactly one "%u" and no other conversion, else -EINVAL. */
int relay_pattern_check(const char *pattern);

/*
 * Normalise a PCI address ("0000:02:08.0" or "02:08.0") into @out
 * ("0000:02:08.0"). Returns true when @s is a PCI address.
 */
bool relay_pci_normalize(const char *s, char *out, size_t len);

/* ---- software RSS (flowhash.c) ------------------------------------------- */

/*
 * Flow hash of an Ethernet frame's first @len bytes: IPv4/IPv6 addresses and protocol, plus
 * ports for unfragmented TCP/UDP/SCTP; the L2 header otherwise (VLAN/QinQ tags skipped).
 * Never reads beyond @len.
 */
uint32_t relay_flow_hash(const uint8_t *frame, uint32_t len);
/* Map @hash onto 0..@n-1 (@n >= 1) evenly, without a division. */
static inline unsigned int relay_hash_pick(uint32_t hash, unsigned int n)
{
	return (unsigned int)(((uint64_t)hash * n) >> 32);
}

/* ---- the engine (relay.c, worker.c, vf.c, vhost.c) ---------------------- */

enum relay_dir_id {
	RELAY_VF_TO_VM = 0,
	RELAY_VM_TO_VF = 1,
};

struct relay_pin {
	int cpu[2]; /* per direction; -1 = least-loaded worker */
};

/* A PCI address that stands for a DPDK device string (--device-alias PCI=DEV). */
struct relay_alias {
	char pci[16]; /* normalised dddd:bb:ss.f */
	char dev[RELAY_DEV_LEN];
};

struct relay_params {
	struct cpuset workers; /* one worker lcore per CPU */
	unsigned int main_lcore;
	char vhost_dir[PATH_MAX];
	char pattern[RELAY_PATTERN_LEN];
	bool client_mode;    /* connect to sockets QEMU serves */
	uid_t sock_uid;	     /* (uid_t)-1: leave */
	gid_t sock_gid;	     /* (gid_t)-1: leave */
	bool jumbo;	     /* 9000 MTU on VFs */
	unsigned int vf_mtu; /* 0: 1500 (9000 with jumbo); guest MTUs up to it applied */
	bool mrgbuf;	     /* offer VIRTIO_NET_F_MRG_RXBUF */
	bool tso;	     /* offer TSO and checksum offloads */
	struct relay_pin pins[RELAY_MAX];
	struct relay_alias aliases[RELAY_MAX];
	unsigned int nb_aliases;
};

/*
 * Per-direction counters: pkts/bytes received, sent, dropped (far queue full, far side down or
 * without link, frame longer than the far side's MTU allows).
 */
struct relay_counters {
	uint64_t rx_pkts, rx_bytes;
	uint64_t tx_pkts, tx_bytes;
	uint64_t full_pkts, full_bytes;
	uint64_t down_pkts, down_bytes;
	uint64_t big_pkts, big_bytes;
};

struct relay_snapshot {
	unsigned int id;
	enum relay_state state;
	char dev[RELAY_DEV_LEN];     /* as requested (PCI normalised) */
	char devargs[RELAY_DEV_LEN]; /* as probed (alias resolved) */
	char path[PATH_MAX];
	int port;
	int socket_id;
	int vid;		   /* -1 when no guest */
	unsigned int nr_vring;	   /* guest vrings when connected */
	unsigned int mbufs;	   /* relay mempool size */
	unsigned int mbufs_in_use; /* taken from it now (rings, bursts, lcore caches) */
	int cpu[2];
	unsigned int nb_members; /* > 1: a bond */
	unsigned int bond_mode;
	char bond_name[32];
	bool link_up;		/* VF link, as last polled */
	uint32_t link_speed;	/* Mb/s, 0 when unknown */
	unsigned int vf_mtu;	/* VF MTU now */
	unsigned int guest_mtu; /* MTU the guest announced (vhost-user NET_MTU), 0: none */
	struct relay_counters c[2];
};

/* Fill @p with defaults (no workers, main lcore 0, reference socket names). */
void relay_params_default(struct relay_params *p);

/*
 * Start the engine after rte_eal_init(): validate pins against the worker set,
 * launch one worker per CPU. Returns 0 or -errno (message logged).
 */
int relay_engine_start(const struct relay_params *p);
/* Remove every relay, stop and join the workers. Safe when not started. */
void relay_engine_stop(void);

/*
 * Create relay @id over device @dev (PCI address or DPDK device string):
 * probe and start the VF, open the vhost-user socket, publish both
 * directions to workers. Returns 0 or -errno; on error nothing is left.
 * Control thread only.
 */
int relay_add(unsigned int id, const char *dev);
/*
 * Create relay @id over a bond of @n VFs @devs (2..8; 1 is relay_add()) with
 * bonding @mode 0..6, device name net_bonding_@name (NULL: _relay<id>).
 * Returns 0 or -errno; on error nothing is left. Control thread only.
 */
int relay_add_bond(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		   const char *name);
/* The same with the vhost-user socket at @path instead of the pattern's (NULL: pattern). */
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
/* Socket path relay @id has or would have. 0, -ERANGE or -ENAMETOOLONG. Any thread. */
int relay_socket_name(unsigned int id, char *buf, size_t len);
/* Id of the relay whose socket is @path, or -ENOENT. Any thread. */
int relay_find_by_path(const char *path);
/*
 * The device string @dev stands for: its alias when @dev is an aliased PCI
 * address (any spelling), else @dev itself. Pure.
 */
const char *relay_alias_resolve(const struct relay_alias *aliases, unsigned int n, const char *dev);

/* Tear relay @id down (guest detached, grace period, VF closed). 0, -ENOENT. */
int relay_remove(unsigned int id);
/* Fill @out with ids of existing relays; returns how many. Any thread. */
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
/* Test hook (VFWD_TEST_HOOKS=1, SIGUSR2): make one worker stop making progress. */
void relay_test_stall_worker(void);
/* VF and socket of relay @id for log records; false when unknown. Any thread, never blocks long. */
bool relay_log_ident(unsigned int id, char *dev, size_t dlen, char *path, size_t plen);
/* Log one line per relay with state and counters (control thread). */
void relay_log_all(void);

/* Log type shared by the engine and the daemon. */
extern int vfwd_logtype;
#define VLOG(level, fmt, ...)                                                                      \
	rte_log(RTE_LOG_##level, vfwd_logtype, "vfwd: " fmt "\n", ##__VA_ARGS__)

#endif
