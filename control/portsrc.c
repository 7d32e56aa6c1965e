/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * portsrc.c: what the other port-control sources share (the IPC file, OVSDB): a network
 * interface's name to the device a relay probes, and adding or removing that VF. The
 * reference asked ethtool for Netronome representors; we read sysfs (any VF netdev: its PCI
 * address, its number under the PF) or take a --device-alias NETDEV=DEV.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl.h"
#include "relay.h"
#include "vlog.h"

/* Copy @src into @dst of @len bytes, cut short if it must be. */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The last path component of the link @path points to, or "" (no link). */
static void link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy(out, len, base ? base + 1 : target);
}

/* Number of VF @pci under its PF (…/physfn/virtfnN), or -1. */
static int vf_index(const char *sysfs, const char *netdev, const char *pci)
{
	char dir[PATH_MAX + 64], link[PATH_MAX + 400], base[64];
	struct dirent *e;
	int index = -1;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/class/net/%s/device/physfn", sysfs, netdev);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d)) && index < 0) {
		if (strncmp(e->d_name, "virtfn", 6))
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		link_base(link, base, sizeof(base));
		if (!strcmp(base, pci))
			index = atoi(e->d_name + 6);
	}
	closedir(d);
	return index;
}

int ctl_netdev_map(const struct ctl_config *cfg, const char *netdev, char *dev, size_t len,
		   int *index, char *why, size_t wlen)
{
	char path[PATH_MAX + 64], base[64], pci[32];

	*index = -1;
	if (!netdev[0] || strlen(netdev) >= 16 || strchr(netdev, '/') || netdev[0] == '.') {
		snprintf(why, wlen, "'%s' is not an interface name", netdev);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->nb_aliases; i++)
		if (!strcmp(cfg->aliases[i].pci, netdev)) {
			snprintf(dev, len, "%s", cfg->aliases[i].dev);
			return 0;
		}
	snprintf(path, sizeof(path), "%s/class/net/%s/device", cfg->sysfs, netdev);
	link_base(path, base, sizeof(base));
	if (!relay_pci_normalize(base, pci, sizeof(pci))) {
		snprintf(why, wlen,
			 "interface %s has no PCI device behind it (%s) and no --device-alias "
			 "%s=DEV",
			 netdev, base[0] ? base : "none", netdev);
		return -ENODEV;
	}
	snprintf(dev, len, "%s", pci);
	*index = vf_index(cfg->sysfs, netdev, pci);
	return 0;
}

int ctl_vf_attach(const char *origin, int id, const char *dev)
{
	struct relay_snapshot s;
	int ret, have = relay_find_by_dev(dev);

	if (have >= 0 && (id < 0 || have == id))
		return 0; /* already there: a conditional add */
	if (have >= 0) {
		VLOG(WARNING, "%s: %s already belongs to relay %d; not moved to relay %d", origin,
		     dev, have, id);
		return -EBUSY;
	}
	for (unsigned int i = 0; id < 0 && i < relay_max(); i++)
		if (relay_snapshot_get(i, &s) == 0 && s.vf_side == RELAY_SIDE_NONE)
			id = (int)i;
	if (id < 0) {
		VLOG(WARNING, "%s: no relay without a VF left for %s", origin, dev);
		return -ENOSPC;
	}
	ret = relay_add((unsigned int)id, dev);
	if (ret)
		VLOG(WARNING, "%s: relay %d not given %s: %s", origin, id, dev, relay_last_error());
	else
		VLOG(NOTICE, "%s: relay %d given VF %s", origin, id, dev);
	return ret;
}

int ctl_vf_detach(const char *origin, const char *dev)
{
	int id = relay_find_by_dev(dev), ret;

	if (id < 0)
		return 0; /* not there: a conditional remove */
	ret = relay_remove((unsigned int)id);
	if (ret)
		VLOG(WARNING, "%s: VF %s of relay %d not removed: %s", origin, dev, id,
		     relay_last_error());
	else
		VLOG(NOTICE, "%s: VF %s removed from relay %d", origin, dev, id);
	return ret;
}
