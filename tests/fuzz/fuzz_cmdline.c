/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_cmdline.c: the daemon's command line: the input is its arguments, one per line (at
 * most 32). Options that read a file are left out (fuzz_config covers the file; here a path
 * could name a FIFO or /dev/zero).
 */
#include <stdbool.h>
#include <stdio.h>

#include "daemon.h"
#include "fuzz.h"

#define MAX_ARGS 32

static FILE *devnull;

/* @arg names (or abbreviates) an option that reads a file: --config, --check-config. */
static bool reads_file(const char *arg)
{
	size_t n = strcspn(arg, "=");

	return n >= 3 && (!strncmp(arg, "--config", n) || !strncmp(arg, "--check-config", n));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfwd_config cfg;
	char *argv[MAX_ARGS + 2], err[VFWD_ERR_LEN], *text, *line, *save = NULL;
	int argc = 0;

	if (!(text = fuzz_str(data, size)))
		return 0;
	argv[argc++] = "virtio-forwarder";
	for (line = strtok_r(text, "\n", &save); line && argc <= MAX_ARGS;
	     line = strtok_r(NULL, "\n", &save)) {
		if (reads_file(line))
			goto out;
		argv[argc++] = line;
	}
	argv[argc] = NULL;
	opts_parse(argc, argv, &cfg, devnull, err, sizeof(err));
out:
	free(text);
	return 0;
}
