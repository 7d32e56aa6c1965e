/* SPDX-License-Identifier: BSD-3-Clause */
/* vf.c: the VF side of a relay: probe (PCI hot-plug or device string), mempool, ethdev set-up. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "relay_int.h"

#define VF_JUMBO_MTU 9000
#define VF_RSS_HF    (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)

static void vf_frame_limit(struct relay *r);
static void link_read(struct relay *r, bool announce);

/* Test hooks: this device's start fails; fails while RX interrupts are configured. */
static char fail_start_dev[RELAY_DEV_LEN], fail_irq_start_dev[RELAY_DEV_LEN];

void relay_test_fail_start(const char *dev, bool with_irq_only)
{
	char *hook = with_irq_only ? fail_irq_start_dev : fail_start_dev;

	snprintf(hook, RELAY_DEV_LEN, "%s", dev);
}

/* rte_eth_dev_start(), or a test hook's failure for its device. */
static int dev_start(const struct relay *r)
{
	struct rte_eth_conf conf;

	if (unlikely(fail_start_dev[0] && !strcmp(r->name, fail_start_dev)))
		return -EIO;
	if (unlikely(fail_irq_start_dev[0] && !strcmp(r->name, fail_irq_start_dev)) &&
	    rte_eth_dev_conf_get(r->port, &conf) == 0 && conf.intr_conf.rxq)
		return -ENOTSUP;
	return rte_eth_dev_start(r->port);
}

/* TX offloads a guest may ask for with -T: the VF's where it has them, else offload.c's. */
#define VF_TX_OFFLOADS                                                                             \
	(RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |                              \
	 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM)

/* mbufs one 64 kB TSO frame from a guest takes, chained in default-size buffers. */
#define TSO_CHAIN (UINT16_MAX / RTE_MBUF_DEFAULT_DATAROOM + 1)

/*
 * mbufs a relay can hold at once: for each of its @lanes queue pairs a full VF RX ring, a full
 * VF TX ring (frames dequeued from the guest awaiting transmit), each of a bond's @members
 * (rings of their own), one burst in hand per direction,
 * and what per-lcore mempool caches may keep (up to 1.5 x cache size each); with TSO
 * (-T) a burst in hand and one held may be chains of TSO_CHAIN each, and a burst of segments
 * made in software (offload.c) is in hand besides. Exactly that: a
 * power-of-two count would nearly double the pool for a ring of pointers that is a
 * power of two anyway (doc/architecture.md, Memory).
 */
static unsigned int pool_size(uint16_t nb_rxd, uint16_t nb_txd, bool tso, unsigned int lanes,
			      unsigned int members)
{
	/* A bond gives each member rings of its own, all filled from this pool. */
	unsigned int n = ((nb_rxd + nb_txd) * RTE_MAX(members, 1u) + 2 * RELAY_BURST) * lanes +
			 rte_lcore_count() * RELAY_POOL_CACHE * 3 / 2;

	if (tso)
		n += (2 * TSO_CHAIN + 1) * RELAY_BURST * lanes;
	return n;
}

/* Probe one PCI address or device string; its device name into @name, its port into @port. */
static int dev_probe(const struct relay *r, const char *devargs, char *name, size_t len,
		     bool *is_pci, uint16_t *port)
{
	char pci[32];
	int ret;

	*is_pci = relay_pci_normalize(devargs, pci, sizeof(pci));
	if (*is_pci)
		snprintf(name, len, "%s", pci);
	else
		snprintf(name, len, "%.*s", (int)strcspn(devargs, ","), devargs);
	if (rte_eth_dev_get_port_by_name(name, port) == 0) {
		RERR("relay %u: device %s is already in use", r->id, name);
		return -EBUSY;
	}
	ret = rte_dev_probe(*is_pci ? name : devargs);
	if (ret) {
		if (*is_pci)
			RERR("relay %u: cannot probe PCI device %s: %s (does it exist, bound to "
			     "vfio-pci?)",
			     r->id, name, strerror(-ret));
		else
			RERR("relay %u: DPDK rejected device string '%s' (unknown driver or bad "
			     "arguments: %s)",
			     r->id, devargs, strerror(-ret));
		return ret;
	}
	if (rte_eth_dev_get_port_by_name(name, port)) {
		RERR("relay %u: device '%s' probed but is not an ethdev", r->id, devargs);
		rte_eal_hotplug_remove(*is_pci ? "pci" : "vdev", name);
		return -ENODEV;
	}
	return 0;
}

static void dev_remove(const struct relay *r, const char *name, bool is_pci)
{
	uint16_t port;
	int ret;

	if (rte_eth_dev_get_port_by_name(name, &port) == 0) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	ret = rte_eal_hotplug_remove(is_pci ? "pci" : "vdev", name);
	if (ret)
		VLOG(WARNING, "relay %u: cannot detach %s: %s", r->id, name, strerror(-ret));
}

/* Members first, then the bonding device over them (22.11 spells members "slave="). */
static int bond_probe(struct relay *r, const struct relay_params *p)
{
	char args[RELAY_DEV_LEN * 2];
	int off, ret;

	if (r->bond_name[0])
		off = snprintf(args, sizeof(args), "net_bonding_%s,mode=%u", r->bond_name,
			       r->bond_mode);
	else
		off = snprintf(args, sizeof(args), "net_bonding_relay%u,mode=%u", r->id,
			       r->bond_mode);
	for (unsigned int m = 0; m < r->nb_members; m++) {
		struct relay_member *mb = &r->member[m];
		const char *devargs = relay_alias_resolve(p->aliases, p->nb_aliases, mb->dev);

		relay_step(RELAY_STEP_MEMBER);
		ret = dev_probe(r, devargs, mb->name, sizeof(mb->name), &mb->is_pci, &mb->port);
		if (ret)
			return ret;
		mb->probed = true;
		off += snprintf(args + off, sizeof(args) - (size_t)off, ",slave=%s", mb->name);
		if ((size_t)off >= sizeof(args)) {
			RERR("relay %u: bond arguments too long", r->id);
			return -ENAMETOOLONG;
		}
	}
	snprintf(r->devargs, sizeof(r->devargs), "%.*s", (int)sizeof(r->devargs) - 1, args);
	relay_step(RELAY_STEP_PROBE);
	return dev_probe(r, args, r->name, sizeof(r->name), &r->is_pci, &r->port);
}

static int vf_probe(struct relay *r, const struct relay_params *p)
{
	int ret;

	relay_step(RELAY_STEP_PROBE);
	ret = r->nb_members > 1
		      ? bond_probe(r, p)
		      : dev_probe(r, r->devargs, r->name, sizeof(r->name), &r->is_pci, &r->port);

	if (ret)
		return ret;
	r->socket_id = rte_eth_dev_socket_id(r->port);
	if (r->socket_id < 0)
		r->socket_id = (int)rte_socket_id();
	return 0;
}

static void vf_conf_build(struct relay *r, const struct relay_params *p,
			  const struct rte_eth_dev_info *info, struct rte_eth_conf *conf,
			  uint32_t *data_room)
{
	uint32_t want = p->vf_mtu ? p->vf_mtu : p->jumbo ? VF_JUMBO_MTU : RTE_ETHER_MTU;

	memset(conf, 0, sizeof(*conf));
	*data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
	/* Link-state interrupts where the device has them: a bond fails over on them. */
	if (info->dev_flags && (*info->dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf->intr_conf.lsc = 1;
	VLOG(DEBUG, "relay %u: %s link-state interrupts %s", r->id, r->name,
	     conf->intr_conf.lsc ? "on" : "off (no support)");
	/* RX interrupts for the interrupt mode of idle workers (irq.c); vf_irq_probe() checks. */
	conf->intr_conf.rxq = p->idle_irq && p->idle_sleep_max_us;
	r->mtu_cap = RTE_ETHER_MTU;
	if (want != RTE_ETHER_MTU) {
		uint32_t frame_mtu = info->max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
		uint32_t mtu = RTE_MAX(RTE_MIN(RTE_MIN(want, (uint32_t)info->max_mtu), frame_mtu),
				       (uint32_t)info->min_mtu);

		conf->rxmode.mtu = mtu;
		r->mtu_cap = (uint16_t)RTE_MAX(mtu, (uint32_t)RTE_ETHER_MTU);
		if (mtu > RTE_ETHER_MTU && (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
			conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else if (mtu > RTE_ETHER_MTU) /* no scatter: one mbuf must hold a whole frame */
			*data_room =
				RTE_MAX(*data_room, RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN +
							    RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN);
		if (mtu != want)
			VLOG(WARNING,
			     "relay %u: VF MTU %u asked but %s supports %u to %u; using %u", r->id,
			     want, r->name, info->min_mtu, RTE_MIN(info->max_mtu, frame_mtu), mtu);
	}
	/* Frames from the guest longer than one mbuf arrive chained (TSO frames always). */
	if (r->mtu_cap > RTE_ETHER_MTU || p->tso)
		conf->txmode.offloads |= info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (p->tso)
		conf->txmode.offloads |= info->tx_offload_capa & VF_TX_OFFLOADS;
	/* One pool, refcount 1, one segment: the driver may free transmitted mbufs in bulk. */
	if (!(conf->txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) && !p->tso)
		conf->txmode.offloads |= info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	VLOG(DEBUG, "relay %u: %s TX offloads 0x%" PRIx64 " of 0x%" PRIx64, r->id, r->name,
	     conf->txmode.offloads, info->tx_offload_capa);
	/*
	 * The VF's own flow hash in each mbuf, so software RSS does not hash the frame again; with
	 * several queue pairs, RSS spreads the flows over them (a VF without RSS but several
	 * queues, as af_packet's fanout, spreads them by itself).
	 */
	if ((info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) &&
	    (info->flow_type_rss_offloads & VF_RSS_HF)) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads & VF_RSS_HF;
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
	} else if (r->nb_lanes > 1 && (info->flow_type_rss_offloads & VF_RSS_HF)) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads & VF_RSS_HF;
	}
	r->tx_offloads = conf->txmode.offloads;
	r->tso_hw = conf->txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO;
	r->tx_prepare = p->tso;
	r->sw_offload = p->tso && (conf->txmode.offloads & VF_TX_OFFLOADS) != VF_TX_OFFLOADS;
	if (r->sw_offload)
		VLOG(NOTICE,
		     "relay %u: %s lacks TX offloads the guest may ask for (-T; it has 0x%" PRIx64
		     " of 0x%" PRIx64 "): the relay does %s in software",
		     r->id, r->name, conf->txmode.offloads & VF_TX_OFFLOADS,
		     (uint64_t)VF_TX_OFFLOADS,
		     r->tso_hw ? "the missing checksums"
			       : "TCP segmentation and the missing checksums");
}

/*
 * Can each of @r's RX queues wake a worker? Asked of ethdev, which logs an error for devices
 * without RX interrupts (net_null, net_memif, ...): quietened for the question. The queues
 * start with their interrupts off: workers poll until they arm them.
 */
static bool vf_irq_probe(struct relay *r)
{
	int lt = rte_log_register("lib.ethdev"), level = rte_log_get_level(lt);
	int fd[RELAY_MAX_LANES];
	bool ok = true, shared = false;

	rte_log_set_level(lt, RTE_LOG_CRIT);
	for (unsigned int q = 0; q < r->nb_lanes && ok; q++) {
		fd[q] = rte_eth_dev_rx_intr_ctl_q_get_fd(r->port, (uint16_t)q);
		ok = fd[q] >= 0;
		/* Queues sharing one vector (ethdev: -EEXIST, taken as success): one sleeps. */
		for (unsigned int o = 0; o < q && ok; o++)
			shared |= fd[o] == fd[q];
	}
	rte_log_set_level(lt, (uint32_t)level);
	if (ok && shared) {
		VLOG(NOTICE,
		     "relay %u: %s has fewer RX interrupt vectors than its %u queue pairs: an idle "
		     "worker wakes on a timer",
		     r->id, r->name, r->nb_lanes);
		ok = false;
	}
	for (unsigned int q = 0; q < r->nb_lanes && ok; q++)
		rte_eth_dev_rx_intr_disable(r->port, (uint16_t)q);
	if (!shared)
		VLOG(INFO, "relay %u: %s %s", r->id, r->name,
		     ok ? "has RX interrupts: an idle worker sleeps until frames come (unless "
			  "they do not fire)"
			: "has no RX interrupts: an idle worker wakes on a timer");
	return ok;
}

/*
 * Let the frames for the guest in. Promiscuous mode where the VF has it; but a VF without
 * trust may take the request and still filter unicast by its own MAC (igbvf returns 0 for a
 * mailbox request its PF ignores), so on a PCI VF the guest's MAC is also learned from its
 * frames and given to the VF (vfevent.c). Virtual devices (tap, af_packet, memif) take every
 * frame their peer sends. All multicast, for IPv6 neighbour discovery.
 */
static void vf_filters_open(struct relay *r)
{
	int ret = rte_eth_promiscuous_enable(r->port);

	if (ret && ret != -ENOTSUP)
		VLOG(WARNING, "relay %u: cannot enable promiscuous mode on %s: %s", r->id, r->name,
		     strerror(-ret));
	ret = rte_eth_allmulticast_enable(r->port);
	if (ret && ret != -ENOTSUP)
		VLOG(WARNING, "relay %u: cannot enable all-multicast on %s: %s", r->id, r->name,
		     strerror(-ret));
	r->mac_learn = r->is_pci;
	for (unsigned int m = 0; m < r->nb_members; m++)
		r->mac_learn |= r->member[m].is_pci;
	r->mac_done = r->mac_want = 0;
	__atomic_store_n(&r->mac_state, MAC_NONE, __ATOMIC_RELAXED);
}

/* RX and TX queue of each lane, from @r's pool; on failure, *@what names the step. */
static int vf_queues_setup(struct relay *r, uint16_t nb_rxd, uint16_t nb_txd, const char **what)
{
	int ret = 0;

	for (unsigned int q = 0; q < r->nb_lanes && !ret; q++) {
		*what = "set up rx queue";
		relay_step(RELAY_STEP_RXQ);
		ret = rte_eth_rx_queue_setup(r->port, q, nb_rxd, (unsigned int)r->socket_id, NULL,
					     r->pool);
		if (ret)
			break;
		*what = "set up tx queue";
		relay_step(RELAY_STEP_TXQ);
		ret = rte_eth_tx_queue_setup(r->port, q, nb_txd, (unsigned int)r->socket_id, NULL);
	}
	return ret;
}

static int vf_setup(struct relay *r, const struct relay_params *p)
{
	uint16_t nb_rxd = (uint16_t)p->vf_ring_size, nb_txd = (uint16_t)p->vf_ring_size;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint32_t data_room;
	char pname[RTE_MEMPOOL_NAMESIZE];
	const char *what;
	int ret;

	what = "get device info";
	relay_step(RELAY_STEP_CONFIGURE);
	ret = rte_eth_dev_info_get(r->port, &info);
	if (ret)
		goto out_err;
	r->nb_lanes = RTE_MIN(p->vf_queues,
			      (unsigned int)RTE_MIN(info.max_rx_queues, info.max_tx_queues));
	r->nb_lanes = RTE_MAX(r->nb_lanes, 1u);
	if (r->nb_lanes < p->vf_queues)
		VLOG(WARNING,
		     "relay %u: %u queue pairs asked (--vf-queues) but %s has %u; using %u", r->id,
		     p->vf_queues, r->name, r->nb_lanes, r->nb_lanes);
	vf_conf_build(r, p, &info, &conf, &data_room);
	what = "configure";
	ret = rte_eth_dev_configure(r->port, (uint16_t)r->nb_lanes, (uint16_t)r->nb_lanes, &conf);
	if (ret && conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS) {
		/* Some VFs offer the hash but refuse RSS on one queue: software hashes then. */
		if (r->nb_lanes > 1)
			VLOG(WARNING, "relay %u: %s refused RSS over %u queues (%s); using one",
			     r->id, r->name, r->nb_lanes, strerror(-ret));
		else
			VLOG(DEBUG,
			     "relay %u: %s refused RSS on one queue (%s); hashing in software",
			     r->id, r->name, strerror(-ret));
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		conf.rx_adv_conf.rss_conf.rss_hf = 0;
		conf.rxmode.offloads &= ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
		r->nb_lanes = 1;
		ret = rte_eth_dev_configure(r->port, 1, 1, &conf);
	}
	if (ret)
		goto out_err;
	what = "adjust descriptors";
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(r->port, &nb_rxd, &nb_txd);
	if (ret)
		goto out_err;
	snprintf(pname, sizeof(pname), "relay%u", r->id);
	what = "create mbuf pool";
	relay_step(RELAY_STEP_POOL);
	/* A VF started again after a reset keeps its pool (and the frames held from it). */
	if (!r->pool)
		r->pool = relay_pool_create(
			pname, pool_size(nb_rxd, nb_txd, p->tso, r->nb_lanes, r->nb_members),
			(uint16_t)data_room, r->socket_id);
	if (!r->pool) {
		ret = -rte_errno;
		goto out_err;
	}
	VLOG(DEBUG, "relay %u: pool of %u mbufs (%u bytes data room), %u queue pair(s)", r->id,
	     pool_size(nb_rxd, nb_txd, p->tso, r->nb_lanes, r->nb_members), data_room, r->nb_lanes);
	ret = vf_queues_setup(r, nb_rxd, nb_txd, &what);
	if (ret)
		goto out_err;
	vf_filters_open(r);
	what = "start";
	relay_step(RELAY_STEP_START);
	ret = dev_start(r);
	if (ret && conf.intr_conf.rxq) {
		VLOG(WARNING, "relay %u: %s does not start with RX interrupts (%s); without them",
		     r->id, r->name, strerror(-ret));
		conf.intr_conf.rxq = 0;
		ret = rte_eth_dev_configure(r->port, (uint16_t)r->nb_lanes, (uint16_t)r->nb_lanes,
					    &conf);
		if (!ret)
			ret = vf_queues_setup(r, nb_rxd, nb_txd, &what);
		if (!ret) {
			what = "start";
			relay_step(RELAY_STEP_START);
			ret = dev_start(r);
		}
	}
	if (ret)
		goto out_err;
	r->vf_irq = conf.intr_conf.rxq && vf_irq_probe(r);
	r->lsc = conf.intr_conf.lsc && r->nb_members <= 1;
	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++) /* unpublished: ours to write */
		r->lane[l][RELAY_VF_TO_VM].irq_missed = 0;
	r->irq_miss_told = false;
	return 0;
out_err:
	RERR("relay %u: cannot %s VF %s: %s", r->id, what, r->name, strerror(-ret));
	return ret;
}

int vf_open(struct relay *r, const struct relay_params *p)
{
	int ret;

	ret = vf_probe(r, p);
	if (ret) {
		vf_close(r); /* bond members already probed */
		return ret;
	}
	r->vf_open = true;
	ret = vf_setup(r, p);
	if (ret) {
		vf_close(r);
		return ret;
	}
	if (rte_eth_dev_get_mtu(r->port, &r->vf_mtu))
		r->vf_mtu = RTE_ETHER_MTU;
	r->mtu_base = r->vf_mtu;
	vf_frame_limit(r);
	VLOG(INFO,
	     "relay %u: VF %s is port %u on NUMA socket %d, MTU %u (guest MTUs up to %u applied)",
	     r->id, r->dev, r->port, r->socket_id, r->vf_mtu, r->mtu_cap);
	link_read(r, true);
	return 0;
}

void vf_close(struct relay *r)
{
	LOCK_RULE(!engine_lock_held(), "VF closed under the engine lock (rule 5)");
	if (r->vf_open) {
		dev_remove(r, r->name, r->is_pci);
		r->vf_open = false;
	}
	for (unsigned int m = 0; m < r->nb_members; m++)
		if (r->member[m].probed) {
			dev_remove(r, r->member[m].name, r->member[m].is_pci);
			r->member[m].probed = false;
		}
	rte_mempool_free(r->pool);
	r->pool = NULL;
	r->nb_lanes = 1;
}

/* Publish the frame limit of the VF's MTU to the data path. */
static void vf_frame_limit(struct relay *r)
{
	__atomic_store_n(&r->max_frame, (uint32_t)r->vf_mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN,
			 __ATOMIC_RELAXED);
}

/*
 * A new MTU on a running VF: several drivers refuse it, or reconfigure, under a poller. So no
 * worker polls the port meanwhile (its directions unpublished, what they held kept), and the
 * port is stopped for the change, then started and given back.
 */
static int vf_mtu_set(struct relay *r, uint16_t mtu)
{
	int ret, err;

	relay_pause(r);
	ret = rte_eth_dev_stop(r->port);
	if (ret)
		VLOG(WARNING, "relay %u: cannot stop VF %s for its MTU: %s", r->id, r->dev,
		     strerror(-ret));
	ret = rte_eth_dev_set_mtu(r->port, mtu);
	if (ret == 0) {
		__atomic_store_n(&r->vf_mtu, mtu, __ATOMIC_RELAXED);
		vf_frame_limit(r);
	}
	err = rte_eth_dev_start(r->port);
	if (err)
		VLOG(ERR, "relay %u: VF %s did not start again after its MTU change: %s", r->id,
		     r->dev, strerror(-err));
	else
		VLOG(INFO, "relay %u: VF %s stopped and started for its MTU, no worker polling it",
		     r->id, r->dev);
	relay_sync(r);
	return ret;
}

void vf_mtu_follow(struct relay *r)
{
	uint16_t g = __atomic_load_n(&r->guest_mtu, __ATOMIC_RELAXED), want, old = r->vf_mtu;
	int ret;

	if (g == r->guest_mtu_done)
		return;
	r->guest_mtu_done = g;
	/* A guest without an MTU of its own (or none at all): the configured one again. */
	want = g ? g : r->mtu_base;
	if (want == r->vf_mtu)
		return;
	if (want > r->mtu_cap) {
		VLOG(WARNING,
		     "relay %u: guest MTU %u not applied to VF %s: its buffers hold MTU %u at most "
		     "(start with --vf-mtu %u or -J); VF stays at %u, longer frames are dropped",
		     r->id, want, r->dev, r->mtu_cap, want, r->vf_mtu);
		return;
	}
	ret = vf_mtu_set(r, want);
	if (ret)
		VLOG(WARNING, "relay %u: cannot set MTU %u on VF %s: %s; it stays at %u", r->id,
		     want, r->dev, strerror(-ret), r->vf_mtu);
	else
		VLOG(NOTICE, "relay %u: VF %s MTU %u -> %u (%s)", r->id, r->dev, old, want,
		     g ? "the guest's" : "configured");
}

static void link_read(struct relay *r, bool announce)
{
	struct rte_eth_link l;
	char text[RTE_ETH_LINK_MAX_STR_LEN];
	bool up;

	if (rte_eth_link_get_nowait(r->port, &l))
		return;
	up = l.link_status == RTE_ETH_LINK_UP;
	/* Down is down whatever speed the driver reports (tap, af_packet keep theirs). */
	if (!announce && up == r->link_up && (!up || l.link_speed == r->link_speed))
		return;
	__atomic_store_n(&r->link_up, up, __ATOMIC_RELAXED);
	__atomic_store_n(&r->link_speed, up ? l.link_speed : 0, __ATOMIC_RELAXED);
	rte_eth_link_to_str(text, sizeof(text), &l);
	if (up)
		VLOG(NOTICE, "relay %u: VF %s %s", r->id, r->dev, text);
	else
		VLOG(WARNING,
		     "relay %u: VF %s link down: frames from the VM are dropped until it "
		     "returns",
		     r->id, r->dev);
}

void vf_link_read(struct relay *r)
{
	link_read(r, false);
}

/* Polled at 10 Hz; a VF with LSC interrupts is read on its events, and polled at 1 Hz only. */
void vf_link_check(struct relay *r)
{
	if (!r->lsc || ++r->link_polls % 10 == 0)
		link_read(r, false);
}

int vf_restart(struct relay *r, const struct relay_params *p)
{
	return vf_setup(r, p);
}
