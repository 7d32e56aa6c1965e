/* SPDX-License-Identifier: BSD-3-Clause */
/* eal.c: the EAL command line the daemon builds from its configuration, and runtime-dir cleanup. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
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

int eal_args_build(const struct vfwd_config *cfg, const char *argv0, char **argv, int max,
		   char *buf, size_t buflen)
{
	struct argbuf a = {argv, 0, max, buf, 0, buflen};
	char lcores[1024], workers[1000], tmp[64];
	unsigned int mem = cfg->mem_mb ? cfg->mem_mb : cfg->no_huge ? 256 : 0;
	int ret = 0;

	if (cpuset_format(&cfg->relay.workers, workers, sizeof(workers)))
		return -E2BIG;
	snprintf(lcores, sizeof(lcores), "%u,%s", cfg->relay.main_lcore, workers);
	ret |= arg_add(&a, argv0);
	ret |= arg_add(&a, "-l");
	ret |= arg_add(&a, lcores);
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
	if (mem) {
		snprintf(tmp, sizeof(tmp), "%u", mem);
		ret |= arg_add(&a, "-m");
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
