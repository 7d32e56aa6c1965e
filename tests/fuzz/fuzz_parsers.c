/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_parsers.c: the small parsers of operator input: a static relay "DEV=ID", CPU pins
 * "R:C[,C];...", CPU lists, PCI addresses in any spelling, socket name patterns. The first
 * byte picks the parser; the rest is its text.
 */
#include <errno.h>
#include <stdio.h>

#include "daemon.h"
#include "fuzz.h"
#include "relay_pure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_pin pins[RELAY_MAX];
	struct vfwd_static_vf vf;
	char err[256], buf[PATH_MAX];
	struct cpuset set;
	char *s;

	if (size < 1 || !(s = fuzz_str(data + 1, size - 1)))
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (devspec_parse(s, &vf, err, sizeof(err)) == 0 && vf.id >= RELAY_MAX)
			abort(); /* an id out of range must be refused */
		break;
	case 1:
		memset(pins, 0xff, sizeof(pins)); /* the caller's defaults: -1, unpinned */
		if (pins_parse(s, pins, err, sizeof(err)) == 0)
			for (unsigned int i = 0; i < RELAY_MAX; i++)
				if (pins[i].cpu[0] >= CPUSET_MAX || pins[i].cpu[1] >= CPUSET_MAX)
					abort();
		break;
	case 2:
		if (cpuset_parse(s, &set) == 0)
			cpuset_format(&set, buf, sizeof(buf));
		break;
	case 3:
		if (relay_pci_normalize(s, buf, sizeof(buf)) && strlen(buf) != 12)
			abort(); /* normalized: DDDD:BB:SS.F */
		break;
	default:
		if (relay_pattern_check(s) == 0 &&
		    relay_socket_path("/run/vfwd", s, RELAY_MAX - 1, buf, sizeof(buf)) == -EINVAL)
			abort(); /* a pattern the check accepts must make a path */
		break;
	}
	free(s);
	return 0;
}
