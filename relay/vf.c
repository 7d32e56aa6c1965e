/* SPDX-License-Identifier: BSD-3-Clause */
/* vf.c: the VF side of a relay: probe (PCI hot-plug or device string), mempool, ethdev set-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "relay_int.h"

#define VF_RX_DESC    512
#define VF_TX_DESC    512
#define VF_POOL_CACHE RELAY_BURST
#define VF_JUMBO_MTU  9000

/*
 * mbufs a relay can hold at once: a full VF RX ring, a full VF TX ring (frames
 * dequeued from the guest awaiting transmit), one burst in hand per direction,
 * and what per-lcore mempool caches may keep (up to 1.5 x cache size each).
 * Rounded up to 2^n - 1, the size a mempool ring stores best.
 */
static unsigned int pool_size(uint16_t nb_rxd, uint16_t nb_txd)
{
	unsigned int n =
		nb_rxd + nb_txd + 2 * RELAY_BURST + rte_lcore_count() * VF_POOL_CACHE * 3 / 2;

	return rte_align32pow2(n + 1) - 1;
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
	return dev_probe(r, args, r->name, sizeof(r->name), &r->is_pci, &r->port);
}

static int vf_probe(struct relay *r, const struct relay_params *p)
{
	int ret = r->nb_members > 1 ? bond_probe(r, p)
				    : dev_probe(r, r->devargs, r->name, sizeof(r->name), &r->is_pci,
						&r->port);

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
	memset(conf, 0, sizeof(*conf));
	*data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
	/* Link-state interrupts where the device has them: a bond fails over on them. */
	if (info->dev_flags && (*info->dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf->intr_conf.lsc = 1;
	VLOG(DEBUG, "relay %u: %s link-state interrupts %s", r->id, r->name,
	     conf->intr_conf.lsc ? "on" : "off (no support)");
	if (p->jumbo) {
		uint32_t frame_mtu = info->max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN;
		uint32_t mtu = RTE_MIN(RTE_MIN((uint32_t)VF_JUMBO_MTU, (uint32_t)info->max_mtu),
				       frame_mtu);

		conf->rxmode.mtu = mtu;
		if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else /* no scatter: one mbuf must hold a whole jumbo frame */
			*data_room =
				RTE_MAX(*data_room, RTE_PKTMBUF_HEADROOM + mtu + RTE_ETHER_HDR_LEN +
							    RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN);
		if (mtu < VF_JUMBO_MTU)
			VLOG(WARNING, "relay %u: jumbo frames asked but %s supports MTU %u at most",
			     r->id, r->name, mtu);
	}
	if (p->tso)
		conf->txmode.offloads |=
			info->tx_offload_capa &
			(RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			 RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
}

static int vf_setup(struct relay *r, const struct relay_params *p)
{
	uint16_t nb_rxd = VF_RX_DESC, nb_txd = VF_TX_DESC;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint32_t data_room;
	char pname[RTE_MEMPOOL_NAMESIZE];
	const char *what;
	int ret;

	what = "get device info";
	ret = rte_eth_dev_info_get(r->port, &info);
	if (ret)
		goto out_err;
	vf_conf_build(r, p, &info, &conf, &data_room);
	what = "configure";
	ret = rte_eth_dev_configure(r->port, 1, 1, &conf);
	if (ret)
		goto out_err;
	what = "adjust descriptors";
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(r->port, &nb_rxd, &nb_txd);
	if (ret)
		goto out_err;
	snprintf(pname, sizeof(pname), "relay%u", r->id);
	r->pool = rte_pktmbuf_pool_create(pname, pool_size(nb_rxd, nb_txd), VF_POOL_CACHE, 0,
					  (uint16_t)data_room, r->socket_id);
	what = "create mbuf pool";
	if (!r->pool) {
		ret = -rte_errno;
		goto out_err;
	}
	VLOG(DEBUG, "relay %u: pool of %u mbufs (%u bytes data room)", r->id,
	     pool_size(nb_rxd, nb_txd), data_room);
	what = "set up rx queue";
	ret = rte_eth_rx_queue_setup(r->port, 0, nb_rxd, (unsigned int)r->socket_id, NULL, r->pool);
	if (ret)
		goto out_err;
	what = "set up tx queue";
	ret = rte_eth_tx_queue_setup(r->port, 0, nb_txd, (unsigned int)r->socket_id, NULL);
	if (ret)
		goto out_err;
	ret = rte_eth_promiscuous_enable(r->port);
	if (ret && ret != -ENOTSUP)
		VLOG(WARNING, "relay %u: cannot enable promiscuous mode on %s: %s", r->id, r->name,
		     strerror(-ret));
	what = "start";
	ret = rte_eth_dev_start(r->port);
	if (ret)
		goto out_err;
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
	{
		uint16_t mtu = 0;

		rte_eth_dev_get_mtu(r->port, &mtu);
		VLOG(INFO, "relay %u: VF %s is port %u on NUMA socket %d, MTU %u", r->id, r->dev,
		     r->port, r->socket_id, mtu);
	}
	return 0;
}

void vf_close(struct relay *r)
{
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
