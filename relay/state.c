/* SPDX-License-Identifier: BSD-3-Clause */
/* state.c: the relay state machine, state names and socket/PCI name helpers (no DPDK calls). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relay_pure.h"

int relay_side_next(enum relay_side s, enum relay_event ev)
{
	switch (ev) {
	case RELAY_EV_UP:
		return s == RELAY_SIDE_NONE ? RELAY_SIDE_UP : -EINVAL;
	case RELAY_EV_DOWN:
		return s == RELAY_SIDE_UP ? RELAY_SIDE_REMOVING : -EINVAL;
	case RELAY_EV_GONE:
		return s == RELAY_SIDE_REMOVING ? RELAY_SIDE_NONE : -EINVAL;
	}
	return -EINVAL;
}

const char *relay_vf_state_name(enum relay_side vf, enum relay_side vm)
{
	switch (vf) {
	case RELAY_SIDE_NONE:
		return "DPDK_UNINIT";
	case RELAY_SIDE_UP:
		return vm == RELAY_SIDE_UP ? "DPDK_READY" : "DPDK_ADDED";
	case RELAY_SIDE_REMOVING:
		return "DPDK_REMOVING1";
	}
	return "DPDK_UNKNOWN";
}

const char *relay_vm_state_name(enum relay_side vm)
{
	switch (vm) {
	case RELAY_SIDE_NONE:
		return "VIRTIO_UNINIT";
	case RELAY_SIDE_UP:
		return "VIRTIO_READY";
	case RELAY_SIDE_REMOVING:
		return "VIRTIO_REMOVING1";
	}
	return "VIRTIO_UNKNOWN";
}

const char *relay_event_name(enum relay_event ev)
{
	switch (ev) {
	case RELAY_EV_UP:
		return "up";
	case RELAY_EV_DOWN:
		return "removing";
	case RELAY_EV_GONE:
		return "gone";
	}
	return "unknown";
}

void relay_params_default(struct relay_params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->vhost_dir, sizeof(p->vhost_dir), "/tmp/virtio-forwarder");
	snprintf(p->pattern, sizeof(p->pattern), "virtio-forwarder%%u.sock");
	p->idle_sleep_max_us = RELAY_IDLE_SLEEP_DEFAULT_US;
	p->idle_irq = true;
	p->vf_queues = 1;
	p->vf_ring_size = RELAY_RING_DEFAULT;
	p->sock_uid = (uid_t)-1;
	p->sock_gid = (gid_t)-1;
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		p->pins[i].cpu[0] = p->pins[i].cpu[1] = -1;
}

int relay_pattern_check(const char *pattern)
{
	unsigned int nu = 0;

	if (!pattern || !*pattern || strchr(pattern, '/'))
		return -EINVAL;
	for (const char *p = pattern; *p; p++) {
		if (*p != '%')
			continue;
		/* "%u7" would read as a longer relay id: the reference refuses a digit there. */
		if (p[1] != 'u' || isdigit((unsigned char)p[2]))
			return -EINVAL;
		nu++;
		p++;
	}
	return nu == 1 ? 0 : -EINVAL;
}

int relay_socket_path(const char *dir, const char *pattern, unsigned int id, char *buf, size_t len)
{
	const char *pct;
	int n;

	if (relay_pattern_check(pattern))
		return -EINVAL;
	/* Substitute by hand: user text is never used as a format string. */
	pct = strstr(pattern, "%u");
	n = snprintf(buf, len, "%s/%.*s%u%s", dir, (int)(pct - pattern), pattern, id, pct + 2);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static bool hex_field(const char *s, size_t n, unsigned int max, unsigned int *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		*v = *v * 16 + (unsigned int)(isdigit((unsigned char)s[i])
						      ? s[i] - '0'
						      : tolower((unsigned char)s[i]) - 'a' + 10);
	}
	return *v <= max;
}

bool relay_pci_normalize(const char *s, char *out, size_t len)
{
	unsigned int dom = 0, bus, slot, fn;
	const char *c1 = strchr(s, ':'), *c2, *dot;

	if (!c1)
		return false;
	c2 = strchr(c1 + 1, ':');
	if (c2) { /* dddd:bb:ss.f */
		if (!hex_field(s, (size_t)(c1 - s), 0xffff, &dom) || c1 - s != 4)
			return false;
		s = c1 + 1;
		c1 = c2;
	}
	dot = strchr(c1 + 1, '.');
	if (!dot || c1 - s != 2 || dot - c1 - 1 != 2 || strlen(dot + 1) != 1)
		return false;
	if (!hex_field(s, 2, 0xff, &bus) || !hex_field(c1 + 1, 2, 0x1f, &slot) ||
	    !hex_field(dot + 1, 1, 7, &fn))
		return false;
	return snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, slot, fn) < (int)len;
}

const char *relay_alias_resolve(const struct relay_alias *aliases, unsigned int n, const char *dev)
{
	char pci[16];

	if (!relay_pci_normalize(dev, pci, sizeof(pci)))
		return dev;
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(aliases[i].pci, pci))
			return aliases[i].dev;
	return dev;
}
