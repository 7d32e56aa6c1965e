/* SPDX-License-Identifier: BSD-3-Clause */
/* vfio.c: VIRTIOFWD_BIND_VFIO_PCI: bind devices to vfio-pci through sysfs before EAL starts. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The last part of what link @dir/@what points to into @out ("" when none). */
static void current_driver_link(const char *dir, const char *what, char *out, size_t len)
{
	char link[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/%s", dir, what);
	n = readlink(link, target, sizeof(target) - 1);
	out[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(out, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	}
}

/* The driver @addr is bound to ("" when none). */
static void current_driver(const char *sys, const char *addr, char *drv, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/bus/pci/devices/%s", sys, addr);
	current_driver_link(dir, "driver", drv, len);
}

/* One PCI device: driver_override, unbind from its driver, probe again. */
static int bind_one(const char *sys, const char *addr, char *err, size_t errlen)
{
	char path[PATH_MAX], drv[64];
	int ret;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sys, addr);
	if (!exists(path)) {
		snprintf(err, errlen, "PCI device %s does not exist", addr);
		return -ENODEV;
	}
	current_driver(sys, addr, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver_override", sys, addr);
	ret = write_file(path, "vfio-pci");
	if (ret) {
		snprintf(err, errlen, "cannot set %s: %s", path, strerror(-ret));
		return ret;
	}
	if (drv[0]) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver/unbind", sys, addr);
		ret = write_file(path, addr);
		if (ret) {
			snprintf(err, errlen, "cannot unbind %s from %s: %s", addr, drv,
				 strerror(-ret));
			return ret;
		}
	}
	snprintf(path, sizeof(path), "%s/bus/pci/drivers_probe", sys);
	ret = write_file(path, addr);
	if (ret) {
		snprintf(err, errlen, "cannot probe %s for vfio-pci: %s", addr, strerror(-ret));
		return ret;
	}
	return 0;
}

/* netdev[:count]: the VFs of that PF (creating @count of them first when given). */
static int bind_netdev(const char *sys, const char *spec, char *err, size_t errlen)
{
	char name[64], path[PATH_MAX], target[PATH_MAX], num[16], *colon;
	long count = -1;
	int ret, bound = 0;

	snprintf(name, sizeof(name), "%s", spec);
	colon = strchr(name, ':');
	if (colon) {
		char *end;

		*colon = '\0';
		count = strtol(colon + 1, &end, 10);
		if (*end || count < 1 || count > 256) {
			snprintf(err, errlen, "'%s': the VF count must be 1..256", spec);
			return -EINVAL;
		}
	}
	snprintf(path, sizeof(path), "%s/class/net/%s/device", sys, name);
	if (!exists(path)) {
		snprintf(err, errlen, "'%s': no network device %s", spec, name);
		return -ENODEV;
	}
	if (count > 0) {
		snprintf(path, sizeof(path), "%s/class/net/%s/device/sriov_numvfs", sys, name);
		snprintf(num, sizeof(num), "%ld", count);
		ret = write_file(path, num);
		if (ret) {
			snprintf(err, errlen, "'%s': cannot create %ld VFs: %s", spec, count,
				 strerror(-ret));
			return ret;
		}
	}
	for (long i = 0; count < 0 || i < count; i++) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/class/net/%s/device/virtfn%ld", sys, name, i);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			break;
		target[n] = '\0';
		ret = bind_one(sys, strrchr(target, '/') ? strrchr(target, '/') + 1 : target, err,
			       errlen);
		if (ret)
			return ret;
		bound++;
	}
	if (!bound || (count > 0 && bound < count)) {
		snprintf(err, errlen, "'%s': %s has %d VFs%s", spec, name, bound,
			 count > 0 ? " after asking for them" : " (no SR-IOV VFs to bind)");
		return -ENODEV;
	}
	return 0;
}

static bool iommu_present(const char *sys)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool any = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", sys);
	d = opendir(path);
	while (d && (e = readdir(d)))
		any |= e->d_name[0] != '.';
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/module/vfio/parameters/enable_unsafe_noiommu_mode", sys);
	return any || exists(path);
}

int vfio_bind_all(const char *sys, const char *const *specs, unsigned int n, char *err,
		  size_t errlen)
{
	char path[PATH_MAX], pci[32];
	int ret;

	if (n == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", sys);
	if (!exists(path)) {
		snprintf(err, errlen,
			 "VIRTIOFWD_BIND_VFIO_PCI: the vfio-pci driver is not loaded "
			 "(modprobe vfio-pci)");
		return -ENOENT;
	}
	if (!iommu_present(sys)) {
		snprintf(err, errlen,
			 "VIRTIOFWD_BIND_VFIO_PCI: no IOMMU: enable it on the kernel "
			 "command line (intel_iommu=on or amd_iommu=on, iommu=pt)");
		return -ENODEV;
	}
	for (unsigned int i = 0; i < n; i++) {
		char why[VFWD_ERR_LEN];

		if (relay_pci_normalize(specs[i], pci, sizeof(pci)))
			ret = bind_one(sys, pci, why, sizeof(why));
		else
			ret = bind_netdev(sys, specs[i], why, sizeof(why));
		if (ret) {
			snprintf(err, errlen, "VIRTIOFWD_BIND_VFIO_PCI: %s", why);
			return ret;
		}
	}
	return 0;
}

/* Does @spec (a PCI address, or netdev[:count]) name PCI device @pci or its PF? */
static bool spec_covers(const char *sys, const char *spec, const char *pci)
{
	char name[64], path[PATH_MAX], norm[32], pf[64], want[64];

	if (relay_pci_normalize(spec, norm, sizeof(norm)))
		return !strcmp(norm, pci);
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ":"), spec);
	snprintf(path, sizeof(path), "%s/class/net/%s", sys, name);
	current_driver_link(path, "device", pf, sizeof(pf));
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sys, pci);
	current_driver_link(path, "physfn", want, sizeof(want));
	return pf[0] && !strcmp(pf, want);
}

int vfio_ready(const char *sys, const char *const *specs, unsigned int n, const char *pci,
	       char *why, size_t len)
{
	char drv[64];

	current_driver(sys, pci, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci"))
		return 0;
	for (unsigned int i = 0; i < n; i++)
		if (spec_covers(sys, specs[i], pci))
			return bind_one(sys, pci, why, len);
	snprintf(why, len,
		 "PCI device %s is bound to %s, not vfio-pci (bind it, or name it or its PF in "
		 "VIRTIOFWD_BIND_VFIO_PCI)",
		 pci, drv[0] ? drv : "no driver");
	return -EBUSY;
}
