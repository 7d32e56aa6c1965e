/* SPDX-License-Identifier: BSD-3-Clause */
/* devspec.c: parsers for -P DEV=ID and -c relay CPU pins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *v)
{
	char buf[16], *end;

	if (n == 0 || n >= sizeof(buf) || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*v = strtoul(buf, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

int devspec_parse(const char *s, struct vfwd_static_vf *vf, char *err, size_t errlen)
{
	const char *eq = strrchr(s, '=');
	unsigned long id;

	if (!eq || eq == s) {
		snprintf(err, errlen,
			 "'%s' is not DEV=ID (e.g. 0000:02:08.0=1 or net_tap0,iface=t0=1)", s);
		return -EINVAL;
	}
	if (parse_uint(eq + 1, strlen(eq + 1), RELAY_MAX - 1, &id)) {
		snprintf(err, errlen, "'%s': relay id '%s' is not a number in 0..%d", s, eq + 1,
			 RELAY_MAX - 1);
		return -EINVAL;
	}
	if ((size_t)(eq - s) >= sizeof(vf->dev)) {
		snprintf(err, errlen, "'%s': device longer than %zu bytes", s, sizeof(vf->dev) - 1);
		return -EINVAL;
	}
	memcpy(vf->dev, s, (size_t)(eq - s));
	vf->dev[eq - s] = '\0';
	vf->id = (unsigned int)id;
	return 0;
}

/* One "R:C" or "R:C,C" (NUL-terminated). */
static int pin_one(char *s, struct relay_pin pins[RELAY_MAX])
{
	char *colon = strchr(s, ':'), *comma;
	unsigned long relay, c0, c1;

	if (!colon || parse_uint(s, (size_t)(colon - s), RELAY_MAX - 1, &relay))
		return -EINVAL;
	s = colon + 1;
	comma = strchr(s, ',');
	if (comma) {
		if (parse_uint(s, (size_t)(comma - s), CPUSET_MAX - 1, &c0) ||
		    parse_uint(comma + 1, strlen(comma + 1), CPUSET_MAX - 1, &c1))
			return -EINVAL;
	} else {
		if (parse_uint(s, strlen(s), CPUSET_MAX - 1, &c0))
			return -EINVAL;
		c1 = c0;
	}
	pins[relay].cpu[RELAY_VF_TO_VM] = (int)c0;
	pins[relay].cpu[RELAY_VM_TO_VF] = (int)c1;
	return 0;
}

int pins_parse(const char *s, struct relay_pin pins[RELAY_MAX], char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;
	unsigned int n = 0;

	if (strlen(s) >= sizeof(buf))
		goto out_bad;
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save), n++)
		if (pin_one(tok, pins))
			goto out_bad;
	if (n == 0)
		goto out_bad;
	return 0;
out_bad:
	snprintf(err, errlen,
		 "'%s' is not a CPU pin list: use <relay>:<cpu>[,<cpu>] separated by ';', "
		 "relay 0..%d, cpu 0..%d",
		 s, RELAY_MAX - 1, CPUSET_MAX - 1);
	return -EINVAL;
}
