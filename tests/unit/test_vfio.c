/* SPDX-License-Identifier: BSD-3-Clause */
/* test_vfio.c: VIRTIOFWD_BIND_VFIO_PCI against a fake sysfs tree (src/vfio.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "unit.h"

static char sys[] = "/tmp/vfwd-sysfs-XXXXXX";

static void mk(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	for (p = path + strlen(sys) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void touch(const char *rel)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

static const char *content(const char *rel)
{
	static char buf[256];
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A PF eth5 with VFs 01:10.0 and 01:10.2, a VF 01:02.3 bound to ixgbevf, vfio-pci, an IOMMU. */
static void tree(bool vfio, bool iommu)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", sys);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mkdir(sys, 0755), 0);
	mk("bus/pci/drivers");
	if (vfio)
		mk("bus/pci/drivers/vfio-pci");
	if (iommu)
		mk("kernel/iommu_groups/5");
	touch("bus/pci/drivers_probe");
	mk("bus/pci/drivers/ixgbevf");
	touch("bus/pci/drivers/ixgbevf/unbind");
	mk("bus/pci/devices/0000:01:02.3");
	touch("bus/pci/devices/0000:01:02.3/driver_override");
	link_to("../../drivers/ixgbevf", "bus/pci/devices/0000:01:02.3/driver");
	mk("bus/pci/devices/0000:01:00.0");
	touch("bus/pci/devices/0000:01:00.0/sriov_numvfs");
	link_to("../0000:01:10.0", "bus/pci/devices/0000:01:00.0/virtfn0");
	link_to("../0000:01:10.2", "bus/pci/devices/0000:01:00.0/virtfn1");
	mk("bus/pci/devices/0000:01:10.0");
	touch("bus/pci/devices/0000:01:10.0/driver_override");
	mk("bus/pci/devices/0000:01:10.2");
	touch("bus/pci/devices/0000:01:10.2/driver_override");
	mk("class/net/eth5");
	link_to("../../../bus/pci/devices/0000:01:00.0", "class/net/eth5/device");
	mk("class/net/eth5x"); /* a netdev with no device behind it */
}

START_TEST(binds_pci_addresses)
{
	const char *specs[] = {"01:02.3"};
	char err[VFWD_ERR_LEN];

	tree(true, true);
	ck_assert_int_eq(vfio_bind_all(sys, specs, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(content("bus/pci/devices/0000:01:02.3/driver_override"), "vfio-pci");
	ck_assert_str_eq(content("bus/pci/drivers/ixgbevf/unbind"), "0000:01:02.3");
	ck_assert_str_eq(content("bus/pci/drivers_probe"), "0000:01:02.3");
}
END_TEST

START_TEST(binds_the_vfs_of_a_netdev)
{
	const char *all[] = {"eth5"}, *two[] = {"eth5:2"};
	char err[VFWD_ERR_LEN];

	tree(true, true);
	ck_assert_int_eq(vfio_bind_all(sys, all, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(content("bus/pci/devices/0000:01:10.0/driver_override"), "vfio-pci");
	ck_assert_str_eq(content("bus/pci/devices/0000:01:10.2/driver_override"), "vfio-pci");
	ck_assert_str_eq(content("bus/pci/drivers_probe"), "0000:01:10.2");
	tree(true, true);
	ck_assert_int_eq(vfio_bind_all(sys, two, 1, err, sizeof(err)), 0);
	ck_assert_str_eq(content("bus/pci/devices/0000:01:00.0/sriov_numvfs"), "2");
	ck_assert_str_eq(content("bus/pci/devices/0000:01:10.2/driver_override"), "vfio-pci");
}
END_TEST

START_TEST(clear_errors)
{
	const char *pci[] = {"01:02.3"}, *missing[] = {"0000:09:00.1"}, *nonet[] = {"eth9"},
		   *novf[] = {"eth5x"}, *toomany[] = {"eth5:4"}, *badcount[] = {"eth5:0"};
	char err[VFWD_ERR_LEN];

	tree(false, true);
	ck_assert_int_eq(vfio_bind_all(sys, pci, 1, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "modprobe vfio-pci"));
	tree(true, false);
	ck_assert_int_eq(vfio_bind_all(sys, pci, 1, err, sizeof(err)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "intel_iommu=on"));
	tree(true, true);
	ck_assert_int_eq(vfio_bind_all(sys, missing, 1, err, sizeof(err)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "PCI device 0000:09:00.1 does not exist"));
	ck_assert_int_eq(vfio_bind_all(sys, nonet, 1, err, sizeof(err)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "no network device eth9"));
	ck_assert_int_eq(vfio_bind_all(sys, novf, 1, err, sizeof(err)), -ENODEV);
	ck_assert_int_eq(vfio_bind_all(sys, toomany, 1, err, sizeof(err)), -ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "eth5 has 2 VFs after asking for them"));
	ck_assert_int_eq(vfio_bind_all(sys, badcount, 1, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(vfio_bind_all(sys, NULL, 0, err, sizeof(err)), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vfio");
	TCase *tc = tcase_create("vfio");
	char cmd[PATH_MAX + 16];
	int ret;

	if (!mkdtemp(sys))
		return EXIT_FAILURE;
	tcase_add_test(tc, binds_pci_addresses);
	tcase_add_test(tc, binds_the_vfs_of_a_netdev);
	tcase_add_test(tc, clear_errors);
	suite_add_tcase(s, tc);
	setenv("CK_FORK", "no", 1);
	ret = unit_run(s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sys);
	if (system(cmd))
		ret = EXIT_FAILURE;
	return ret;
}
