/* SPDX-License-Identifier: BSD-3-Clause */
/* checks.c: what relay_add*() checks before it creates anything: ids, devices, names, paths. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "relay_int.h"

/* Requested names compare in their normalised form (PCI addresses in any spelling). */
void relay_dev_normalize(const char *dev, char *out, size_t len)
{
	if (!relay_pci_normalize(dev, out, len))
		snprintf(out, len, "%s", dev);
}

/* The relay already using @dev (normalised), or NULL. */
static const struct relay *dev_owner(const char *dev)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++) {
		const struct relay *r = engine_relay(i);

		for (unsigned int m = 0; r && m < r->nb_members; m++)
			if (!strcmp(r->member[m].dev, dev))
				return r;
	}
	return NULL;
}

int relay_find_by_dev(const char *dev)
{
	char norm[RELAY_DEV_LEN];
	const struct relay *r;
	int id;

	relay_dev_normalize(dev, norm, sizeof(norm));
	engine_lock();
	r = dev_owner(norm);
	id = r ? (int)r->id : -ENOENT;
	engine_unlock();
	return id;
}

/* Checks before anything is created: id, device list, bond parameters, ownership. */
int relay_add_check(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		    const char *name)
{
	char norm[RELAY_BOND_MAX][RELAY_DEV_LEN];
	const struct relay *owner;

	if (id >= relay_max()) {
		RERR("relay id %u out of range 0..%u (the linked DPDK has %u ethdev ports: "
		     "RTE_MAX_ETHPORTS)",
		     id, relay_max() - 1, RTE_MAX_ETHPORTS);
		return -ERANGE;
	}
	if (n == 0 || n > RELAY_BOND_MAX || mode > 6) {
		RERR("relay %u: %u devices, bond mode %u (1..%d devices, mode 0..6)", id, n, mode,
		     RELAY_BOND_MAX);
		return -EINVAL;
	}
	if (name && (strlen(name) > 16 ||
		     strspn(name, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))) {
		RERR("relay %u: bond name '%s' is not 1..16 letters, digits or '_'", id, name);
		return -EINVAL;
	}
	if (engine_relay(id) && engine_relay(id)->vf_open) {
		RERR("relay %u already has VF %s", id, engine_relay(id)->dev);
		return -EEXIST;
	}
	for (unsigned int m = 0; m < n; m++) {
		if (!devs[m] || !*devs[m] || strlen(devs[m]) >= RELAY_DEV_LEN) {
			RERR("relay %u: device missing or longer than %u bytes", id,
			     RELAY_DEV_LEN - 1);
			return -EINVAL;
		}
		relay_dev_normalize(devs[m], norm[m], sizeof(norm[m]));
		for (unsigned int k = 0; k < m; k++)
			if (!strcmp(norm[k], norm[m])) {
				RERR("relay %u: device %s given twice", id, devs[m]);
				return -EINVAL;
			}
		owner = dev_owner(norm[m]);
		/* A relay waiting for its lost VF may be given it (or another) again. */
		if (owner && !(owner->id == id && owner->vf_lost)) {
			RERR("relay %u: device %s already belongs to another relay (%u)", id,
			     devs[m], owner->id);
			return -EBUSY;
		}
	}
	return 0;
}

/* A socket path given with ADD_SOCK: absolute, not another relay's, not a second one for @id. */
int relay_path_check(unsigned int id, const char *path)
{
	const struct relay *r = engine_relay(id);
	int other;

	if (path[0] != '/' || strlen(path) >= sizeof(r->path)) {
		RERR("relay %u: socket path '%s' is not an absolute path under %zu bytes", id, path,
		     sizeof(r->path));
		return -EINVAL;
	}
	other = relay_find_by_path(path);
	if (other >= 0 && (unsigned int)other != id) {
		RERR("relay %u: socket %s is already used by relay %d", id, path, other);
		return -EBUSY;
	}
	if (r && r->sock_open && strcmp(r->path, path)) {
		RERR("relay %u already has socket %s", id, r->path);
		return -EBUSY;
	}
	return 0;
}
