/* SPDX-License-Identifier: BSD-3-Clause */
/* eal.c: the EAL command line the daemon builds from its configuration, and runtime-dir cleanup. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "daemon.h"

/*
 * An allow-list entry no machine has: EAL then probes no PCI device at start
 * (only what we hot-plug later), while PCI hot-plug stays available, which
 * --no-pci would disable.
 */
#define EAL_PCI_SENTINEL "ffff:ff:1f.7"

struct argbuf {
	char **argv;
	int argc, max;
	char *buf;
	size_t used, len;
};

static int arg_add(struct argbuf *a, const char *s)
{
	size_t n = strlen(s) + 1;

	if (a->argc + 1 >= a->max || a->used + n > a->len)
		return -E2BIG;
	memcpy(a->buf + a->used, s, n);
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += n;
	return 0;
}

/* NUMA node of @cpu from sysfs (@sys: "/sys"), 0 when unknown. */
static unsigned int cpu_node(const char *sys, unsigned int cpu)
{
	char path[PATH_MAX];
	struct dirent *e;
	unsigned int node = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%u", sys, cpu);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "node%u", &node) == 1)
			break;
	if (d)
		closedir(d);
	return node < 64 ? node : 0;
}

int eal_socket_mem(const char *sys, const struct cpuset *workers, unsigned int mb, char *buf,
		   size_t len)
{
	bool used[64] = {false};
	unsigned int top = 0;
	size_t off = 0;

	for (int c = cpuset_next(workers, 0); c >= 0;
	     c = cpuset_next(workers, (unsigned int)c + 1)) {
		unsigned int n = cpu_node(sys, (unsigned int)c);

		used[n] = true;
		top = n > top ? n : top;
	}
	for (unsigned int n = 0; n <= top; n++) {
		int k = snprintf(buf + off, len - off, "%s%u", n ? "," : "", used[n] ? mb : 0);

		if (k < 0 || (size_t)k >= len - off)
			return -E2BIG;
		off += (size_t)k;
	}
	return 0;
}

int eal_args_build(const struct vfwd_config *cfg, const char *argv0, char **argv, int max,
		   char *buf, size_t buflen)
{
	struct argbuf a = {argv, 0, max, buf, 0, buflen};
	char lcores[1024], workers[1000], tmp[64];
	unsigned int mem = cfg->mem_mb ? cfg->mem_mb : cfg->no_huge ? 256 : 0;
	int ret = 0;

	if (cpuset_format(&cfg->relay.workers, workers, sizeof(workers)))
		return -E2BIG;
	ret |= arg_add(&a, argv0);
	if (getenv("VFWD_TEST_WORKERS_ON_CPU")) {
		/*
		 * Test only: every worker lcore on that one CPU (--lcores 0@0,1@1,2@1), so that a
		 * two-CPU test machine runs several workers. Not for production: they share a CPU.
		 */
		const char *cpu = getenv("VFWD_TEST_WORKERS_ON_CPU");
		int n = snprintf(lcores, sizeof(lcores), "--lcores=%u@%u", cfg->relay.main_lcore,
				 cfg->relay.main_lcore);

		for (int c = cpuset_next(&cfg->relay.workers, 0); c >= 0 && n < (int)sizeof(lcores);
		     c = cpuset_next(&cfg->relay.workers, (unsigned int)c + 1))
			n += snprintf(lcores + n, sizeof(lcores) - (size_t)n, ",%d@%s", c, cpu);
		ret |= arg_add(&a, lcores);
	} else {
		snprintf(lcores, sizeof(lcores), "%u,%s", cfg->relay.main_lcore, workers);
		ret |= arg_add(&a, "-l");
		ret |= arg_add(&a, lcores);
	}
	snprintf(tmp, sizeof(tmp), "%u", cfg->relay.main_lcore);
	ret |= arg_add(&a, "--main-lcore");
	ret |= arg_add(&a, tmp);
	ret |= arg_add(&a, "--file-prefix");
	ret |= arg_add(&a, cfg->file_prefix);
	ret |= arg_add(&a, "-a");
	ret |= arg_add(&a, EAL_PCI_SENTINEL);
	if (cfg->no_huge) {
		ret |= arg_add(&a, "--no-huge");
	} else {
		/* Our memory is never shared with guests: hugepage files need not outlive us. */
		ret |= arg_add(&a, "--huge-unlink");
		if (cfg->huge_dir[0]) {
			ret |= arg_add(&a, "--huge-dir");
			ret |= arg_add(&a, cfg->huge_dir);
		}
	}
	if (cfg->same_numa && !cfg->no_huge) {
		/* memory only where the workers are: N MB there, 0 elsewhere */
		char per_node[256];

		if (eal_socket_mem("/sys", &cfg->relay.workers,
				   mem ? mem
				       : huge_need_mb(cfg->nb_static, cfg->relay.vf_ring_size),
				   per_node, sizeof(per_node)))
			return -E2BIG;
		ret |= arg_add(&a, "--socket-mem");
		ret |= arg_add(&a, per_node);
	} else if (mem) {
		snprintf(tmp, sizeof(tmp), "%u", mem);
		ret |= arg_add(&a, "-m");
		ret |= arg_add(&a, tmp);
	}
	if (cfg->vf_token[0]) {
		snprintf(tmp, sizeof(tmp), "--vfio-vf-token=%s", cfg->vf_token);
		ret |= arg_add(&a, tmp);
	}
	/* The global level caps every type: ours follows -l, EAL and drivers stay at notice. */
	snprintf(tmp, sizeof(tmp), "--log-level=%d", cfg->loglevel + 1);
	ret |= arg_add(&a, tmp);
	snprintf(tmp, sizeof(tmp), "--log-level=lib.*:%d", cfg->loglevel >= 7 ? 8 : 5);
	ret |= arg_add(&a, tmp);
	snprintf(tmp, sizeof(tmp), "--log-level=pmd.*:%d", cfg->loglevel >= 7 ? 8 : 5);
	ret |= arg_add(&a, tmp);
	snprintf(tmp, sizeof(tmp), "--log-level=vfwd:%d", cfg->loglevel + 1);
	ret |= arg_add(&a, tmp);
	return ret ? -E2BIG : a.argc;
}

void eal_runtime_dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

#define HUGETLBFS_MAGIC_NR 0x958458f6
#define HUGE_BASE_MB	   8 /* EAL, telemetry, control plane: 2 MB measured */
#define HUGE_MBUF_KB	   5 /* two mbufs of 2 kB data room, headers included */
#define HUGE_RELAY_MB	   2 /* a relay's bursts, caches, pool and queue headers, with room */

/*
 * A relay's pool holds about two mbufs a descriptor (its RX and TX rings): 3.3 MB of DPDK heap
 * measured for EAL and one relay with rings of 512 (doc/architecture.md, Memory); 5 MB counted.
 */
unsigned int huge_need_mb(unsigned int relays, unsigned int ring)
{
	unsigned int relay_mb = (ring * HUGE_MBUF_KB + 1023) / 1024 + HUGE_RELAY_MB;

	return HUGE_BASE_MB + relay_mb * (relays ? relays : 1);
}

/* The first hugetlbfs in /proc/mounts, for when no --huge-dir was given. */
static bool huge_mount_find(char *dir, size_t len)
{
	char line[PATH_MAX * 2], mnt[PATH_MAX], type[64];
	FILE *f = fopen("/proc/mounts", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %4095s %63s", mnt, type) == 2 && !strcmp(type, "hugetlbfs")) {
			snprintf(dir, len, "%s", mnt);
			found = true;
		}
	if (f)
		fclose(f);
	return found;
}

int huge_check(const struct vfwd_config *cfg, char *err, size_t len)
{
	unsigned int need = huge_need_mb(cfg->nb_static, cfg->relay.vf_ring_size);
	unsigned int free_pages = 0, page_kb, have;
	char dir[PATH_MAX], path[PATH_MAX];
	struct statfs sf;
	FILE *f;

	if (cfg->no_huge)
		return 0;
	if (cfg->huge_dir[0])
		snprintf(dir, sizeof(dir), "%s", cfg->huge_dir);
	else if (!huge_mount_find(dir, sizeof(dir))) {
		snprintf(err, len,
			 "hugepages: no hugetlbfs is mounted: mount -t hugetlbfs nodev "
			 "/dev/hugepages and reserve pages, or run with --no-huge --mem MB");
		return -ENOENT;
	}
	if (statfs(dir, &sf) || (unsigned long)sf.f_type != HUGETLBFS_MAGIC_NR) {
		snprintf(err, len,
			 "hugepages: %s is not a hugetlbfs mount: mount -t hugetlbfs nodev %s", dir,
			 dir);
		return -ENOENT;
	}
	page_kb = (unsigned int)(sf.f_bsize / 1024);
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages",
		 page_kb);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%u", &free_pages) != 1)
		free_pages = 0;
	if (f)
		fclose(f);
	have = (unsigned int)((unsigned long)free_pages * page_kb / 1024);
	if (have < need) {
		unsigned int pages = (need * 1024 + page_kb - 1) / page_kb;

		snprintf(err, len,
			 "hugepages: about %u MB needed in %s for %u relay(s), %u MB free: reserve "
			 "%u more %u kB pages (echo N > "
			 "/sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages, N = current + %u), "
			 "or run with --no-huge --mem MB",
			 need, dir, cfg->nb_static, have, pages - free_pages, page_kb, page_kb,
			 pages - free_pages);
		return -ENOMEM;
	}
	return 0;
}
