/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfevent.c: what real VFs do to a relay, and what the relay does about it:
 *  - removal: the kernel asks for the device back (vfio's device request, raised by DPDK as
 *    RTE_DEV_EVENT_REMOVE; an `echo 0 > sriov_numvfs` on the PF blocks until we let go) or a
 *    driver reports it gone (ethdev INTR_RMV): the VF is released at once and waited for;
 *  - return: a lost VF's device is looked for every second (relay_vf_retake) and taken back;
 *  - reset by the PF (ethdev INTR_RESET, iavf and ixgbevf raise it): reset and configured
 *    again, what was held for it kept;
 *  - link changes (LSC interrupts where the VF has them), and a bond's failover where its
 *    members' link changes reach no interrupt (vf_bond_check);
 *  - an RX interrupt that does not fire (the workers find it, worker_doze): logged once;
 *  - a guest whose MAC is not the VF's, on a VF that filters unicast by MAC.
 *
 * Threads: the callbacks run on DPDK's interrupt thread. They only post a request bit to the
 * relay (under the engine lock, which orders them against the relay's removal) and wake the
 * control thread, which does everything else in vf_requests_handle() and vf_watch().
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>

#include "relay_int.h"

#define RETAKE_GAP_MAX 30 /* seconds between looks for a lost VF that fails to open */
#define MAC_TRIES      3  /* a second apart, before a PF keeping its MAC is reported */

static const enum rte_eth_event_type eth_events[] = {
	RTE_ETH_EVENT_INTR_RMV,
	RTE_ETH_EVENT_INTR_RESET,
	RTE_ETH_EVENT_INTR_LSC,
};

/* The relay whose VF (or bond member) is port @port / device @name. Engine lock held. */
static struct relay *relay_of(int port, const char *name)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++) {
		struct relay *r = engine_relay(i);

		if (!r || !r->vf_open)
			continue;
		if (port >= 0 ? r->port == port : !strcmp(r->name, name))
			return r;
		for (unsigned int m = 0; m < r->nb_members; m++)
			if (r->member[m].probed && (port >= 0 ? r->member[m].port == port
							      : !strcmp(r->member[m].name, name)))
				return r;
	}
	return NULL;
}

static void post(int port, const char *name, uint32_t req)
{
	struct relay *r;

	engine_lock();
	r = relay_of(port, name);
	if (r)
		__atomic_fetch_or(&r->vf_req, req, __ATOMIC_RELEASE);
	engine_unlock();
	if (r)
		engine_notify();
}

static int on_eth_event(uint16_t port, enum rte_eth_event_type ev, void *arg, void *out)
{
	(void)arg;
	(void)out;
	post(port, NULL,
	     ev == RTE_ETH_EVENT_INTR_RMV     ? VF_REQ_LOST
	     : ev == RTE_ETH_EVENT_INTR_RESET ? VF_REQ_RESET
					      : VF_REQ_LINK);
	return 0;
}

static void on_dev_event(const char *name, enum rte_dev_event_type ev, void *arg)
{
	(void)arg;
	if (ev == RTE_DEV_EVENT_REMOVE)
		post(-1, name, VF_REQ_LOST);
}

int vf_events_start(void)
{
	int ret;

	for (unsigned int i = 0; i < RTE_DIM(eth_events); i++) {
		ret = rte_eth_dev_callback_register(RTE_ETH_ALL, eth_events[i], on_eth_event, NULL);
		if (ret)
			goto out_err;
	}
	ret = rte_dev_event_callback_register(NULL, on_dev_event, NULL);
	if (ret)
		goto out_err;
	return 0;
out_err:
	RERR("cannot register for VF events: %s", strerror(-ret));
	vf_events_stop();
	return ret;
}

void vf_events_stop(void)
{
	/* Unregistering waits for a callback in progress, which may wait for the engine lock. */
	LOCK_RULE(!engine_lock_held(), "VF event callbacks unregistered under the engine lock "
				       "(rule 5)");
	for (unsigned int i = 0; i < RTE_DIM(eth_events); i++)
		rte_eth_dev_callback_unregister(RTE_ETH_ALL, eth_events[i], on_eth_event, NULL);
	rte_dev_event_callback_unregister(NULL, on_dev_event, (void *)-1);
}

/* Frames the VM->VF directions of @r hold for the VF. */
static unsigned int held_frames(const struct relay *r)
{
	unsigned int n = 0;

	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++)
		n += r->lane[l][RELAY_VM_TO_VF].nheld;
	return n;
}

/*
 * The PF reset the VF (its own reset, a PF driver reload, a VF setting changed): the port must
 * be reset and configured again. No worker polls it meanwhile; what VM->VF held stays held and
 * goes first. A bond is taken again whole, as a VF that does not come back from its reset.
 */
static void vf_reset(struct relay *r)
{
	int ret = -ENOTSUP;

	if (r->nb_members <= 1) {
		relay_pause(r);
		ret = rte_eth_dev_reset(r->port);
		if (ret ==
		    -ENOTSUP) /* no reset of its own (virtual devices): stopped, set up again */
			ret = rte_eth_dev_stop(r->port);
		if (ret == 0)
			ret = vf_restart(r, engine_params());
	}
	if (ret) {
		VLOG(WARNING, "relay %u: VF %s was reset by its PF and %s (%s)", r->id, r->dev,
		     r->nb_members > 1 ? "is a bond member" : "did not start again",
		     strerror(-ret));
		relay_vf_lose(r, "was reset");
		return;
	}
	relay_sync(r);
	vf_link_read(r);
	VLOG(NOTICE,
	     "relay %u: VF %s was reset by its PF: configured and started again, %u frames held "
	     "for it kept",
	     r->id, r->dev, held_frames(r));
}

void vf_requests_handle(struct relay *r)
{
	uint32_t req = __atomic_exchange_n(&r->vf_req, 0, __ATOMIC_ACQUIRE);

	if (!req || !r->vf_open)
		return;
	if (req & VF_REQ_LOST) {
		relay_vf_lose(r, "is being removed (the kernel or its driver asked for it)");
		return;
	}
	if (req & VF_REQ_RESET)
		vf_reset(r);
	if ((req & VF_REQ_LINK) && r->vf_open)
		vf_link_read(r);
}

void relay_vf_lose(struct relay *r, const char *why)
{
	bool guest = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE) >= 0;

	relay_apply(r, &r->vf_side, RELAY_EV_DOWN);
	relay_unpublish(r);
	vf_close(r);
	relay_apply(r, &r->vf_side, RELAY_EV_GONE);
	engine_lock();
	r->vf_lost = true;
	engine_unlock();
	r->retake_tsc = 0;
	r->retake_gap = 1;
	r->retake_err = 0;
	relay_sync(r);
	VLOG(WARNING,
	     "relay %u: VF %s %s: let go at once%s; taken back when it returns "
	     "(port_control remove forgets it)",
	     r->id, r->dev, why,
	     guest ? "; the guest stays connected, what it sends is dropped meanwhile" : "");
}

static int (*vf_ready_fn)(const char *dev, char *why, size_t len);

void relay_vf_ready_hook(int (*fn)(const char *dev, char *why, size_t len))
{
	vf_ready_fn = fn;
}

int vf_ready(const struct relay *r, char *why, size_t len)
{
	char path[PATH_MAX];
	int ret = 0;

	for (unsigned int m = 0; m < RTE_MAX(r->nb_members, 1u) && !ret; m++) {
		const char *dev = r->nb_members ? r->member[m].dev : r->dev;
		const char *args = relay_alias_resolve(engine_params()->aliases,
						       engine_params()->nb_aliases, dev);
		char pci[32];

		if (!relay_pci_normalize(args, pci, sizeof(pci)))
			continue; /* a device string: probing tells */
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", pci);
		if (access(path, F_OK)) {
			snprintf(why, len, "PCI device %s is not there", pci);
			ret = -ENODEV;
		} else if (vf_ready_fn) {
			ret = vf_ready_fn(pci, why, len);
		}
	}
	return ret;
}

int relay_vf_retake(struct relay *r)
{
	char why[256] = "";
	int ret = vf_ready(r, why, sizeof(why));

	if (ret) {
		if (ret != r->retake_err)
			VLOG(INFO, "relay %u: waiting for VF %s: %s", r->id, r->dev, why);
		r->retake_err = ret;
		return ret;
	}
	/* Directions a guest keeps published: vf_open, port and pool change unpublished. */
	relay_unpublish(r);
	ret = vf_open(r, engine_params());
	if (ret) {
		r->retake_err = ret;
		relay_sync(r);
		return ret;
	}
	engine_lock();
	r->vf_lost = false;
	engine_unlock();
	relay_apply(r, &r->vf_side, RELAY_EV_UP);
	ret = relay_sync(r);
	if (ret) {
		relay_vf_lose(r, "came back but has no worker");
		return ret;
	}
	VLOG(NOTICE, "relay %u: VF %s is back: relaying again", r->id, r->dev);
	return 0;
}

static bool link_up(uint16_t port)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP;
}

/*
 * The bonding PMD learns of member link changes from LSC interrupts, which
 * virtual devices (tap, af_packet) do not deliver to it; so the control thread
 * checks the active member itself.
 */
void vf_bond_check(struct relay *r)
{
	int primary;

	if (!r->vf_open || r->nb_members < 2 || r->bond_mode != BONDING_MODE_ACTIVE_BACKUP)
		return;
	primary = rte_eth_bond_primary_get(r->port);
	if (primary < 0 || link_up((uint16_t)primary))
		return;
	for (unsigned int m = 0; m < r->nb_members; m++) {
		if (r->member[m].port == primary || !link_up(r->member[m].port))
			continue;
		if (rte_eth_bond_primary_set(r->port, r->member[m].port) == 0)
			VLOG(NOTICE,
			     "relay %u: bond member on port %d lost its link; %s now active", r->id,
			     primary, r->member[m].name);
		return;
	}
}

/* A lost VF: look for it once its gap has passed; the gap grows while it fails to open. */
static void retake_maybe(struct relay *r)
{
	uint64_t now = rte_get_timer_cycles();
	int ret;

	if (now < r->retake_tsc)
		return;
	ret = relay_vf_retake(r);
	if (ret == 0)
		return;
	/* Not there: look again in a second. There but failing: back off. */
	r->retake_gap = ret == -ENODEV ? 1 : RTE_MIN(r->retake_gap * 2, RETAKE_GAP_MAX);
	r->retake_tsc = now + r->retake_gap * rte_get_timer_hz();
}

/* A queue's RX interrupt did not fire (worker_doze): the workers already stopped using it. */
static void irq_miss_tell(struct relay *r)
{
	if (r->irq_miss_told || !relay_vf_irq_missed(r))
		return;
	r->irq_miss_told = true;
	VLOG(WARNING,
	     "relay %u: VF %s: its RX interrupt did not fire (a worker slept its full time in "
	     "interrupt mode and then found frames): idle workers wake on a timer for this VF "
	     "from now on",
	     r->id, r->dev);
}

static void mac_str(uint64_t mac, char *buf, size_t len)
{
	uint8_t b[8];

	memcpy(b, &mac, sizeof(b));
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/*
 * Give @r's VF the guest's MAC @g: a filter of its own, or its default MAC. A PF may take the
 * request and keep its MAC all the same (igb answers the VF with a NACK that igbvf does not
 * return; a VF just started may not be heard yet): where the PF's view can be read, it decides,
 * after MAC_TRIES tries a second apart. -EAGAIN: try again.
 */
static int mac_give(struct relay *r, uint64_t g, const char *vf_mac, const char *gm)
{
	struct rte_ether_addr a;
	struct pf_vf pf = {.vf = -1};
	bool filter = true;
	int ret;

	memcpy(a.addr_bytes, &g, RTE_ETHER_ADDR_LEN);
	ret = rte_eth_dev_mac_addr_add(r->port, &a, 0);
	if (ret == -ENOTSUP) {
		filter = false;
		ret = rte_eth_dev_default_mac_addr_set(r->port, &a);
	}
	if (!ret && !filter && r->is_pci && pf_vf_info(r->name, &pf) == 0 &&
	    memcmp(pf.mac, a.addr_bytes, RTE_ETHER_ADDR_LEN)) {
		if (++r->mac_tries < MAC_TRIES)
			return -EAGAIN;
		__atomic_store_n(&r->mac_state, MAC_MISMATCH, __ATOMIC_RELAXED);
		VLOG(ERR,
		     "relay %u: the guest's MAC %s is not VF %s's, %s, which its PF keeps "
		     "(administrative MAC): the guest receives no unicast. Give the VM MAC %s "
		     "(libvirt: <mac address='%s'/>), or clear the PF's: ip link set %s vf %d mac "
		     "00:00:00:00:00:00",
		     r->id, gm, r->dev, vf_mac, vf_mac, vf_mac, pf.pf_if, pf.vf);
		return -EPERM;
	}
	__atomic_store_n(&r->mac_state, ret ? MAC_REFUSED : MAC_SET, __ATOMIC_RELAXED);
	if (ret)
		VLOG(ERR,
		     "relay %u: VF %s (MAC %s) refused the guest's MAC %s (%s): the guest receives "
		     "no unicast unless its MAC is %s or the VF is trusted (ip link set PF vf N "
		     "trust on)",
		     r->id, r->dev, vf_mac, gm, strerror(-ret), vf_mac);
	else
		VLOG(NOTICE,
		     "relay %u: VF %s now receives for the guest's MAC %s (learned from its "
		     "frames; "
		     "the VF's was %s; %s)",
		     r->id, r->dev, gm, vf_mac, filter ? "a filter of its own" : "its MAC now");
	return ret;
}

/* The guest's MAC, learned by the data path, given to a VF that filters by MAC (link up). */
static void mac_follow(struct relay *r)
{
	uint64_t g = __atomic_load_n(&r->guest_mac, __ATOMIC_RELAXED), now;
	struct rte_ether_addr vf;
	char gm[24], vm[24];

	if (!r->mac_learn || !g || g == r->mac_done || !r->link_up)
		return;
	now = rte_get_timer_cycles();
	if (g != r->mac_want) { /* a new MAC: its first try now, what the VF has now kept */
		if (rte_eth_macaddr_get(r->port, &vf))
			return;
		r->mac_want = g;
		r->mac_tries = 0;
		r->mac_next = now;
		r->mac_vf = 0;
		memcpy(&r->mac_vf, vf.addr_bytes, RTE_ETHER_ADDR_LEN);
	}
	if (now < r->mac_next)
		return;
	if (r->mac_vf == g) {
		r->mac_done = g;
		__atomic_store_n(&r->mac_state, MAC_NONE, __ATOMIC_RELAXED);
		return;
	}
	mac_str(g, gm, sizeof(gm));
	mac_str(r->mac_vf, vm, sizeof(vm));
	if (mac_give(r, g, vm, gm) == -EAGAIN)
		r->mac_next = now + rte_get_timer_hz();
	else
		r->mac_done = g;
}

void vf_watch(struct relay *r)
{
	if (r->vf_lost && !r->vf_open) {
		retake_maybe(r);
		return;
	}
	if (!r->vf_open)
		return;
	irq_miss_tell(r);
	mac_follow(r);
}

void vf_watch_snapshot(const struct relay *r, struct relay_snapshot *out)
{
	static const char *const mac_names[] = {[MAC_NONE] = "",
						[MAC_SET] = "set",
						[MAC_MISMATCH] = "mismatch",
						[MAC_REFUSED] = "refused"};
	uint64_t g = __atomic_load_n(&r->guest_mac, __ATOMIC_RELAXED);

	out->vf_lost = r->vf_lost;
	out->rx_irq = !r->vf_open || !r->vf_irq ? "off"
		      : relay_vf_irq_missed(r)	? "not_firing"
						: "on";
	/* The control thread stores it without the lock (relaxed): at worst a stale state. */
	out->mac_state = mac_names[__atomic_load_n(&r->mac_state, __ATOMIC_RELAXED) % 4];
	if (r->vf_open && r->mac_learn && g)
		mac_str(g, out->guest_mac, sizeof(out->guest_mac));
}

int relay_test_vf_event(const char *what)
{
	char names[RELAY_MAX][RELAY_DEV_LEN];
	int ports[RELAY_MAX];
	unsigned int n = 0;

	engine_lock();
	for (unsigned int i = 0; i < RELAY_MAX; i++) {
		const struct relay *r = engine_relay(i);

		if (r && r->vf_open) {
			ports[n] = r->port;
			snprintf(names[n++], RELAY_DEV_LEN, "%s", r->name);
		}
	}
	engine_unlock();
	for (unsigned int i = 0; i < n; i++) {
		if (!strcmp(what, "reset"))
			on_eth_event((uint16_t)ports[i], RTE_ETH_EVENT_INTR_RESET, NULL, NULL);
		else if (!strcmp(what, "rmv"))
			on_eth_event((uint16_t)ports[i], RTE_ETH_EVENT_INTR_RMV, NULL, NULL);
		else if (!strcmp(what, "remove")) /* through EAL's dispatch, as vfio's request */
			rte_dev_event_callback_process(names[i], RTE_DEV_EVENT_REMOVE);
		else
			return -EINVAL;
	}
	return (int)n;
}
