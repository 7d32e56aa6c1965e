/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * relay_pure.h: what the relay engine shares without DPDK: limits, CPU sets, the relay state
 * machine and its names, socket names, PCI addresses, the engine's parameters and the
 * software-RSS flow hash. Pure functions, any thread; linked as relay_pure by the option
 * parser, the tools and the unit tests, and by the engine itself.
 */
#ifndef VFWD_RELAY_PURE_H
#define VFWD_RELAY_PURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RELAY_MAX		    64	/* relay ids 0..63 */
#define RELAY_BURST		    32	/* packets per burst, both directions */
#define CPUSET_MAX		    256 /* highest CPU number + 1 we accept */
#define RELAY_DEV_LEN		    256 /* DPDK device string or PCI address */
#define RELAY_PATTERN_LEN	    128
#define RELAY_BOND_MAX		    8	/* VFs in one bond */
#define RELAY_MAX_QP		    64	/* guest RX queues VF->VM traffic is spread over */
#define RELAY_MAX_LANES		    8	/* VF queue pairs of one relay (--vf-queues) */
#define RELAY_RING_DEFAULT	    512 /* --vf-ring-size */
#define RELAY_RING_MIN		    64
#define RELAY_RING_MAX		    4096
#define RELAY_IDLE_SLEEP_DEFAULT_US 500	   /* --idle-sleep-max-us */
#define RELAY_IDLE_SLEEP_MAX_US	    100000 /* its upper bound */

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

/*
 * A relay has two sides, each with a life of its own: the VF (added and removed through port
 * control) and the guest (connected through the vhost-user socket). Either can come first; a
 * guest stays connected while its VF is removed and re-added.
 */
enum relay_side {
	RELAY_SIDE_NONE = 0, /* no VF / no guest */
	RELAY_SIDE_UP,	     /* VF started / guest connected */
	RELAY_SIDE_REMOVING, /* being taken away */
};

enum relay_event {
	RELAY_EV_UP,   /* VF added / guest connected */
	RELAY_EV_DOWN, /* removal begins */
	RELAY_EV_GONE, /* removal done */
};

/* The state @ev leads one side to from @s, or -EINVAL when @ev is not allowed in @s. */
int relay_side_next(enum relay_side s, enum relay_event ev);
/*
 * Reference names of the VF side: DPDK_UNINIT (no VF), DPDK_ADDED (VF, no guest), DPDK_READY
 * (VF and guest), DPDK_REMOVING1.
 */
const char *relay_vf_state_name(enum relay_side vf, enum relay_side vm);
/* Reference names of the guest side: VIRTIO_UNINIT, VIRTIO_READY, VIRTIO_REMOVING1. */
const char *relay_vm_state_name(enum relay_side vm);
const char *relay_event_name(enum relay_event ev);
/* The reference's "active" flags: relay (both sides up), vf_to_vm (VF up), vm_to_vf (guest up). */
static inline bool relay_active(enum relay_side vf, enum relay_side vm)
{
	return vf == RELAY_SIDE_UP && vm == RELAY_SIDE_UP;
}

/*
 * Socket path of relay @id: @dir "/" @pattern with its single "%u" replaced
 * by @id. Returns 0, -EINVAL (pattern without exactly one %u, or another
 * '%' conversion) or -ENAMETOOLONG.
 */
int relay_socket_path(const char *dir, const char *pattern, unsigned int id, char *buf, size_t len);
/* 0 when @pattern holds exactly one "%u", no other conversion, no '/' and no digit right after
 * the %u; else -EINVAL. */
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

/* ---- the engine's parameters (state.c): filled by the option parser ---------- */

/* The two directions of a relay: separate work items, pinned and counted apart. */
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
	bool dynamic;	     /* no sockets at start: ADD_SOCK/REMOVE_SOCK make and take them */
	uid_t sock_uid;	     /* (uid_t)-1: leave */
	gid_t sock_gid;	     /* (gid_t)-1: leave */
	bool sock_dir_chown; /* -u/-g given: the socket directory is theirs even if it exists */
	bool jumbo;	     /* 9000 MTU on VFs */
	unsigned int vf_mtu; /* 0: 1500 (9000 with jumbo); guest MTUs up to it applied */
	bool mrgbuf;	     /* offer VIRTIO_NET_F_MRG_RXBUF */
	bool tso;	     /* offer TSO and checksum offloads */
	/* Idle policy: a worker whose passes find no frames sleeps, growing to this (0: spin). */
	unsigned int idle_sleep_max_us;
	/* Past the longest sleep, sleep until a VF RX interrupt or a guest kick (irq.c). */
	bool idle_irq;
	/*
	 * VF queue pairs a relay asks for (1..RELAY_MAX_LANES): queue pair i is lane i, one unit of
	 * placement per direction, so that one relay can be served by several workers.
	 */
	unsigned int vf_queues;
	/* Descriptors of each VF RX and TX ring (RELAY_RING_MIN..MAX): the relay's pool follows. */
	unsigned int vf_ring_size;
	struct relay_pin pins[RELAY_MAX];
	struct relay_alias aliases[RELAY_MAX];
	unsigned int nb_aliases;
};

/* ---- placement (place.c) ----------------------------------------------------- */

/* What placement knows of one worker. */
struct relay_worker_view {
	int node;	      /* NUMA node of its CPU */
	unsigned int busy_pm; /* measured load, per mille */
	unsigned int dirs;    /* directions it serves */
};

/*
 * The worker (index into @w) a new unpinned direction of a relay on NUMA node @node goes to:
 * among the workers on @node when there are any (@node < 0: unknown, any worker), the least
 * loaded by measure, loads within 5 % counting as equal, then the one with fewer directions.
 * -1 when @n is 0. Pure.
 */
int relay_pick_worker(const struct relay_worker_view *w, unsigned int n, int node);

/*
 * The guest RX queues lane @lane of @lanes serves, of those enabled in @mask (bit q: queue q),
 * into @out, ascending; returns how many. A lane's own are the queues q with q mod @lanes ==
 * @lane; a lane without one of its own (a guest with fewer queues than the VF) shares one
 * enabled queue with another lane: the (@lane mod enabled)-th. Pure.
 */
unsigned int relay_lane_rxqs(uint64_t mask, unsigned int lanes, unsigned int lane, uint8_t out[64]);

/* Fill @p with defaults (no workers, main lcore 0, reference socket names). */
void relay_params_default(struct relay_params *p);

/*
 * The device string @dev stands for: its alias when @dev is an aliased PCI
 * address (any spelling), else @dev itself. Pure.
 */
const char *relay_alias_resolve(const struct relay_alias *aliases, unsigned int n, const char *dev);

#endif
