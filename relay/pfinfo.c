/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pfinfo.c: what a VF's PF says of it, read from the kernel (sysfs for the PF and the VF's
 * index, rtnetlink for the PF's VF table): today the VF's MAC as the PF holds it. The PF keeps
 * an administrative MAC (ip link set PF vf N mac M) whatever the VF asks; a guest with another
 * MAC then receives no unicast.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay_int.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

/* The basename of symbolic link @path into @out. */
static int link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *slash;

	if (n <= 0)
		return -ENOENT;
	target[n] = '\0';
	slash = strrchr(target, '/');
	slash = slash ? slash + 1 : target;
	if (strlen(slash) >= len)
		return -ENAMETOOLONG;
	memcpy(out, slash, strlen(slash) + 1);
	return 0;
}

/* The PF's network device and the VF's index among its VFs. */
static int pf_of(const char *pci, char *pf_if, size_t len, int *vf)
{
	char path[PATH_MAX], base[64];
	struct dirent *e;
	DIR *d;

	for (*vf = 0; *vf < 256; (*vf)++) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/physfn/virtfn%d", pci, *vf);
		if (link_base(path, base, sizeof(base)))
			return -ENOENT; /* not a VF, or not among its PF's */
		if (!strcmp(base, pci))
			break;
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/physfn/net", pci);
	d = opendir(path);
	if (!d)
		return -ENODEV; /* the PF has no network device (its driver is not a netdev) */
	pf_if[0] = '\0';
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strlen(e->d_name) < len) {
			memcpy(pf_if, e->d_name, strlen(e->d_name) + 1);
			break;
		}
	closedir(d);
	return pf_if[0] ? 0 : -ENODEV;
}

/* In IFLA_VFINFO_LIST @list, VF @vf's MAC. */
static int vfinfo_mac(const struct rtattr *list, int vf, uint8_t mac[6])
{
	int left = RTA_PAYLOAD(list);

	for (const struct rtattr *info = RTA_DATA(list); RTA_OK(info, left);
	     info = RTA_NEXT(info, left)) {
		int ileft = RTA_PAYLOAD(info);

		for (const struct rtattr *a = RTA_DATA(info); RTA_OK(a, ileft);
		     a = RTA_NEXT(a, ileft)) {
			const struct ifla_vf_mac *m = RTA_DATA(a);

			if (a->rta_type != IFLA_VF_MAC || RTA_PAYLOAD(a) < sizeof(*m) ||
			    (int)m->vf != vf)
				continue;
			memcpy(mac, m->mac, 6);
			return 0;
		}
	}
	return -ENOENT;
}

/* RTM_GETLINK of @ifindex with its VF table; the answer into @buf. */
static ssize_t getlink_vfs(int fd, int ifindex, char *buf, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr ext;
		uint32_t mask;
	} rq = {
		.nh = {.nlmsg_len = sizeof(rq),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST},
		.ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
		.ext = {.rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_EXT_MASK},
		.mask = RTEXT_FILTER_VF,
	};

	if (send(fd, &rq, sizeof(rq), 0) != (ssize_t)sizeof(rq))
		return -errno;
	return recv(fd, buf, len, 0);
}

int pf_vf_info(const char *pci, struct pf_vf *out)
{
	uint8_t *mac = out->mac;
	size_t len = 65536;
	char *buf = NULL;
	int vf, fd, ret;
	ssize_t n;

	ret = pf_of(pci, out->pf_if, sizeof(out->pf_if), &vf);
	if (ret)
		return ret;
	out->vf = vf;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	buf = calloc(1, len);
	if (!buf) {
		ret = -ENOMEM;
		goto out_fd;
	}
	n = getlink_vfs(fd, (int)if_nametoindex(out->pf_if), buf, len);
	ret = n < 0 ? (int)n : -ENOENT;
	for (const struct nlmsghdr *nh = (void *)buf; n > 0 && NLMSG_OK(nh, (size_t)n);
	     nh = NLMSG_NEXT(nh, n)) {
		const struct ifinfomsg *ifi = NLMSG_DATA(nh);
		int left = (int)IFLA_PAYLOAD(nh);

		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, left); a = RTA_NEXT(a, left))
			if (a->rta_type == IFLA_VFINFO_LIST)
				ret = vfinfo_mac(a, vf, mac);
	}
	free(buf);
out_fd:
	close(fd);
	return ret;
}
