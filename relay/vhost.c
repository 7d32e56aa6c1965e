/* SPDX-License-Identifier: BSD-3-Clause */
/* vhost.c: the guest side of a relay: vhost-user socket, feature set, device callbacks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_vhost.h>

#include "relay_int.h"

/* Offloads offered only with -T: a VF may not be able to finish them. */
#define VHOST_OFFLOAD_FEATURES                                                                     \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                         \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |                      \
	 (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_GUEST_UFO))

struct vhost_slot vhost_slots[VHOST_VID_MAX];

/* The relay of connection @vid (rule 3: no lock), or NULL. */
static struct relay *relay_of_vid(int vid)
{
	if ((unsigned int)vid >= VHOST_VID_MAX)
		return NULL;
	return __atomic_load_n(&vhost_slots[vid].relay, __ATOMIC_ACQUIRE);
}

static void features_log(const struct relay *r, uint64_t f)
{
	VLOG(INFO,
	     "relay %u: negotiated features 0x%" PRIx64 " (mrg_rxbuf %s, tso %s, csum %s, "
	     "ctrl_rx %s, mq %s, packed %s)",
	     r->id, f, f & (1ULL << VIRTIO_NET_F_MRG_RXBUF) ? "on" : "off",
	     f & (1ULL << VIRTIO_NET_F_HOST_TSO4) ? "on" : "off",
	     f & (1ULL << VIRTIO_NET_F_CSUM) ? "on" : "off",
	     f & (1ULL << VIRTIO_NET_F_CTRL_RX) ? "on" : "off",
	     f & (1ULL << VIRTIO_NET_F_MQ) ? "on" : "off",
	     f & (1ULL << VIRTIO_F_RING_PACKED) ? "on" : "off");
}

static int on_new_device(int vid)
{
	struct relay *r = relay_of_vid(vid);
	uint64_t features = 0;
	uint16_t nr, mtu = 0;

	if (!r) {
		VLOG(WARNING, "vhost device %d on a socket no relay owns; refused", vid);
		return -1;
	}
	/* One guest per relay: a second connection to its socket is refused here. */
	if (relay_apply(r, &r->vm_side, RELAY_EV_UP))
		return -1;
	nr = rte_vhost_get_vring_num(vid);
	/* Workers poll: ask the guest not to kick us. */
	for (uint16_t q = 0; q < nr; q++)
		rte_vhost_enable_guest_notification(vid, q, 0);
	rte_vhost_get_negotiated_features(vid, &features);
	/* NET_MTU: the control thread applies it to the VF (relay_links_poll). */
	if (rte_vhost_get_mtu(vid, &mtu) == 0 && mtu) {
		__atomic_store_n(&r->guest_mtu, mtu, __ATOMIC_RELAXED);
		__atomic_store_n(&r->guest_max_frame,
				 (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN,
				 __ATOMIC_RELAXED);
		VLOG(INFO, "relay %u: guest MTU %u (vhost-user NET_MTU)", r->id, mtu);
	}
	__atomic_store_n(&r->nr_vring, nr, __ATOMIC_RELAXED);
	__atomic_store_n(&r->vid, vid, __ATOMIC_RELEASE);
	workers_wake(); /* a worker asleep in interrupt mode arms its kicks */
	VLOG(NOTICE, "relay %u: guest connected on %s (vid %d, %u queue pairs)%s", r->id, r->path,
	     vid, nr / 2, r->vf_open ? "" : "; no VF yet: what it sends is dropped");
	features_log(r, features);
	/* With a VF both directions are published already; without, the control thread does. */
	engine_notify();
	return 0;
}

/*
 * Runs on rte_vhost's event thread, or on the control thread from relay_remove(). Detach,
 * then wait with no lock held (rule 1): no worker touches the vrings once we return.
 */
static void on_destroy_device(int vid)
{
	struct relay *r = relay_of_vid(vid);

	if (!r || __atomic_load_n(&r->vid, __ATOMIC_RELAXED) != vid)
		return;
	relay_apply(r, &r->vm_side, RELAY_EV_DOWN);
	__atomic_store_n(&r->vid, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->guest_mtu, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->guest_max_frame, 0, __ATOMIC_RELAXED);
	workers_synchronize();
	relay_apply(r, &r->vm_side, RELAY_EV_GONE);
	VLOG(NOTICE, "relay %u: guest disconnected from %s", r->id, r->path);
	engine_notify(); /* without a VF, nothing is left to poll */
}

/*
 * The message guard, called by rte_vhost before it handles each message of connection @vid
 * (on its event thread; under every vring lock for the ones that change rings). It refuses
 * what makes rte_vhost 22.11 crash a worker, all found by tests/integration/test_vhost_fuzz.py:
 * - a vring given addresses without a size since its last stop: GET_VRING_BASE frees the
 *   vring's shadow arrays and only SET_VRING_NUM makes them again, so a front-end that skips
 *   it after a stop had the next burst write through a NULL pointer. Real front-ends send
 *   NUM, BASE, then ADDR each time they start a vring;
 * - a size smaller than a burst (RELAY_BURST): the shadow arrays are sized by the ring and
 *   filled one entry per frame, so a guest announcing more buffers than an 8-entry ring holds
 *   had a worker write past them (crashed with 1, 2, 4 and 8 entries). Real front-ends use 256;
 * - a resize of a vring the workers poll: the rings keep their size in memory, the new one
 *   masks the indices, and the next burst reads past them. A real front-end stops a vring
 *   (GET_VRING_BASE, which ends the device) before resizing it.
 * The payloads follow the 12-byte header (request, flags, size); each starts with the vring
 * index: the wire format.
 */
#define VHU_RESET_OWNER	   4
#define VHU_SET_VRING_NUM  8
#define VHU_SET_VRING_ADDR 9
#define VHU_GET_VRING_BASE 11
#define VHU_HDR_SIZE	   12

static enum rte_vhost_msg_result on_message(int vid, void *msg)
{
	uint64_t *sized = vhost_slots[vid].sized;
	uint32_t request, index, num, word, bit;
	const struct relay *r;

	memcpy(&request, msg, sizeof(request));
	memcpy(&index, (const char *)msg + VHU_HDR_SIZE, sizeof(index));
	word = (index / 64) % VHOST_VRING_WORDS; /* rte_vhost refused larger indices already */
	bit = index % 64;
	switch (request) {
	case VHU_RESET_OWNER:
		memset(sized, 0, sizeof(vhost_slots[vid].sized));
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	case VHU_GET_VRING_BASE:
		sized[word] &= ~(1ULL << bit);
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	case VHU_SET_VRING_ADDR:
		if (sized[word] & (1ULL << bit))
			return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
		VLOG(WARNING, "vhost device %d: vring %u given addresses before its size; refused",
		     vid, index);
		return RTE_VHOST_MSG_RESULT_ERR;
	case VHU_SET_VRING_NUM:
		break;
	default:
		return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
	}
	memcpy(&num, (const char *)msg + VHU_HDR_SIZE + sizeof(index), sizeof(num));
	if (num < RELAY_BURST) {
		VLOG(WARNING, "vhost device %d: vring %u of %u entries refused (fewer than %d)",
		     vid, index, num, RELAY_BURST);
		return RTE_VHOST_MSG_RESULT_ERR;
	}
	r = relay_of_vid(vid);
	if (r && __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE) == vid &&
	    index < __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED)) {
		VLOG(WARNING, "relay %u: guest resized vring %u while it is polled; refused", r->id,
		     index);
		return RTE_VHOST_MSG_RESULT_ERR;
	}
	sized[word] |= 1ULL << bit;
	return RTE_VHOST_MSG_RESULT_NOT_HANDLED;
}

static const struct rte_vhost_user_extern_ops guard_ops = {.pre_msg_handle = on_message};

/*
 * A guest connected (not yet ready): find its relay by socket path, once, under the engine
 * lock (no vring exists yet), and start its vring states from none enabled.
 */
static int on_new_connection(int vid)
{
	char path[PATH_MAX];
	struct relay *r = NULL;

	if ((unsigned int)vid >= VHOST_VID_MAX) {
		VLOG(ERR, "vhost device %d: more connections than %d; refused", vid, VHOST_VID_MAX);
		return -1;
	}
	if (rte_vhost_get_ifname(vid, path, sizeof(path)) == 0) {
		engine_lock();
		r = engine_find_by_path(path);
		engine_unlock();
	}
	__atomic_store_n(&vhost_slots[vid].rxq_mask, 0, __ATOMIC_RELAXED);
	for (unsigned int w = 0; w < VHOST_TXQ_WORDS; w++)
		__atomic_store_n(&vhost_slots[vid].txq_mask[w], 0, __ATOMIC_RELAXED);
	memset(vhost_slots[vid].sized, 0, sizeof(vhost_slots[vid].sized));
	__atomic_store_n(&vhost_slots[vid].relay, r, __ATOMIC_RELEASE);
	if (rte_vhost_extern_callback_register(vid, &guard_ops, NULL)) {
		VLOG(ERR, "vhost device %d: cannot install the message guard; refused", vid);
		return -1;
	}
	return 0;
}

/* rte_vhost calls this after destroy_device, which still needed the slot. */
static void on_destroy_connection(int vid)
{
	if ((unsigned int)vid < VHOST_VID_MAX)
		__atomic_store_n(&vhost_slots[vid].relay, NULL, __ATOMIC_RELEASE);
}

/* The enabled queues of @vid, in its vid slot: atomics only, no lock, no waiting. */
static void vring_state_apply(int vid, uint16_t queue, int enable)
{
	uint64_t bit = 1ULL << (queue / 2), mask;
	struct relay *r = relay_of_vid(vid);

	/* rte_vhost_enable_guest_notification() here would deadlock: vrings enabled after
	 * new_device keep kicks on (harmless). */
	VLOG(DEBUG, "vhost device %d: vring %u %s", vid, queue, enable ? "enabled" : "disabled");
	if (!r)
		return;
	if (queue % 2) { /* a guest TX queue: VM->VF polls only the enabled ones */
		unsigned int w = queue / 2 / 64;

		if (w >= VHOST_TXQ_WORDS)
			return;
		bit = 1ULL << (queue / 2 % 64);
		mask = __atomic_load_n(&vhost_slots[vid].txq_mask[w], __ATOMIC_RELAXED);
		mask = enable ? mask | bit : mask & ~bit;
		__atomic_store_n(&vhost_slots[vid].txq_mask[w], mask, __ATOMIC_RELAXED);
		/* Interrupt mode: arm this kick fd, or drop the one rte_vhost is about to close. */
		workers_wake();
		return;
	}
	if (queue / 2 >= RELAY_MAX_QP)
		return; /* RX spreading covers 64 queues */
	/* One writer per vid (this thread); workers pick it up on their next burst. */
	mask = __atomic_load_n(&vhost_slots[vid].rxq_mask, __ATOMIC_RELAXED);
	mask = enable ? mask | bit : mask & ~bit;
	__atomic_store_n(&vhost_slots[vid].rxq_mask, mask, __ATOMIC_RELAXED);
	VLOG(INFO, "relay %u: guest RX queue %u %s; VF->VM spreads over %d queue(s)", r->id,
	     queue / 2, enable ? "enabled" : "disabled", __builtin_popcountll(mask));
}

/* Under every vring lock of the guest (rule 2): the lock rules know it while it runs. */
static int on_vring_state_changed(int vid, uint16_t queue, int enable)
{
	engine_vring_locked(true);
	vring_state_apply(vid, queue, enable);
	engine_vring_locked(false);
	return 0;
}

static int on_features_changed(int vid, uint64_t features)
{
	VLOG(INFO, "vhost device %d: features now 0x%" PRIx64 "%s", vid, features,
	     features & (1ULL << VHOST_F_LOG_ALL) ? " (dirty logging on)" : "");
	return 0;
}

static const struct rte_vhost_device_ops vhost_ops = {
	.new_connection = on_new_connection,
	.destroy_connection = on_destroy_connection,
	.new_device = on_new_device,
	.destroy_device = on_destroy_device,
	.vring_state_changed = on_vring_state_changed,
	.features_changed = on_features_changed,
};

/* Server mode: a stale socket from a previous run is replaced; anything else is refused. */
static int stale_socket_remove(const struct relay *r)
{
	struct stat st;

	if (lstat(r->path, &st)) {
		if (errno == ENOENT)
			return 0;
		int err = errno;

		RERR("relay %u: cannot stat %s: %s", r->id, r->path, strerror(err));
		return -err;
	}
	if (!S_ISSOCK(st.st_mode)) {
		RERR("relay %u: %s exists and is not a socket; not replacing it", r->id, r->path);
		return -EEXIST;
	}
	if (unlink(r->path)) {
		int err = errno;

		RERR("relay %u: cannot remove stale %s: %s", r->id, r->path, strerror(err));
		return -err;
	}
	VLOG(INFO, "relay %u: replaced stale socket %s", r->id, r->path);
	return 0;
}

static uint64_t features_disabled(const struct relay_params *p)
{
	uint64_t off = 1ULL << VIRTIO_NET_F_CTRL_RX;

	if (!p->mrgbuf)
		off |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (!p->tso)
		off |= VHOST_OFFLOAD_FEATURES;
	return off;
}

int vhost_open(struct relay *r, const struct relay_params *p)
{
	/*
	 * rte_vhost's legacy offload flags: a frame the guest wants segmented or checksummed
	 * comes out with the TX flags (TCP_SEG, segment size, header lengths) the VF acts on; the
	 * "compliant" ones would mark it as received with LRO, for the relay to translate.
	 */
	uint64_t flags = 0;
	const char *what;
	int ret;

	if (p->client_mode)
		flags |= RTE_VHOST_USER_CLIENT; /* reconnects by default */
	else if ((ret = stale_socket_remove(r)))
		return ret;
	what = "register";
	ret = rte_vhost_driver_register(r->path, flags);
	if (ret)
		goto out_err;
	r->sock_open = true;
	what = "set features of";
	ret = rte_vhost_driver_disable_features(r->path, features_disabled(p));
	if (ret)
		goto out_unregister;
	what = "set callbacks of";
	ret = rte_vhost_driver_callback_register(r->path, &vhost_ops);
	if (ret)
		goto out_unregister;
	what = "start";
	ret = rte_vhost_driver_start(r->path);
	if (ret)
		goto out_unregister;
	if (!p->client_mode && (p->sock_uid != (uid_t)-1 || p->sock_gid != (gid_t)-1) &&
	    chown(r->path, p->sock_uid, p->sock_gid)) {
		ret = -errno;
		what = "chown";
		goto out_unregister;
	}
	VLOG(DEBUG, "relay %u: vhost-user %s %s", r->id,
	     p->client_mode ? "client for" : "server on", r->path);
	return 0;
out_unregister:
	vhost_close(r, p);
out_err:
	RERR("relay %u: cannot %s vhost-user socket %s%s%s", r->id, what, r->path,
	     ret < 0 ? ": " : "", ret < 0 ? strerror(-ret) : "");
	return ret < 0 ? ret : -EIO;
}

void vhost_close(struct relay *r, const struct relay_params *p)
{
	struct stat st;

	if (!r->sock_open)
		return;
	/* Calls destroy_device on this thread when a guest is connected. */
	if (rte_vhost_driver_unregister(r->path))
		VLOG(WARNING, "relay %u: cannot unregister %s", r->id, r->path);
	if (!p->client_mode && lstat(r->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(r->path);
	/* Unregistering ended its connections without destroy_connection: forget them. */
	for (int vid = 0; vid < VHOST_VID_MAX; vid++) {
		struct relay *cur = r;

		__atomic_compare_exchange_n(&vhost_slots[vid].relay, &cur, NULL, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	r->sock_open = false;
}
