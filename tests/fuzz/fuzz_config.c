/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c: the /etc/default/virtioforwarder reader and every key's setter, as the
 * daemon runs them: the input is the file (`--config`), read through a memfd.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfwd_config cfg; /* large: not on the stack */
	char path[64], err[VFWD_ERR_LEN];
	char *argv[] = {"virtio-forwarder", "--config", path, NULL};
	int fd = memfd_create("fuzz-config", 0);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	opts_parse(3, argv, &cfg, devnull, err, sizeof(err));
	close(fd);
	return 0;
}
