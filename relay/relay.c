/* SPDX-License-Identifier: BSD-3-Clause */
/* relay.c: the relay table and its life cycle: add, remove, snapshots; engine start and stop. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "relay_int.h"

RTE_LOG_REGISTER(vfwd_logtype, vfwd, INFO);

/*
 * The table is written by the control thread only; the lock orders those
 * writes against readers on other threads (vhost callbacks, telemetry).
 * Workers never take it: they see relays only through published work lists.
 */
static struct {
	struct relay_params params;
	struct relay *table[RELAY_MAX];
	pthread_mutex_t lock;
	bool started;
} eng = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local char last_error[256];
/* Lock-rule bookkeeping of this thread (relay_int.h). */
static _Thread_local bool engine_locked, vring_locked;

void relay_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	VLOG(ERR, "%s", last_error);
}

const char *relay_last_error(void)
{
	return last_error;
}

/* Who relay N is, for log records (journald fields); its own lock, never the engine's. */
static struct {
	pthread_mutex_t lock;
	char dev[RELAY_MAX][RELAY_DEV_LEN];
	char path[RELAY_MAX][PATH_MAX];
} ident = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void ident_set(unsigned int id, const char *dev, const char *path)
{
	pthread_mutex_lock(&ident.lock);
	snprintf(ident.dev[id], sizeof(ident.dev[id]), "%s", dev);
	snprintf(ident.path[id], sizeof(ident.path[id]), "%s", path);
	pthread_mutex_unlock(&ident.lock);
}

bool relay_log_ident(unsigned int id, char *dev, size_t dlen, char *path, size_t plen)
{
	bool known;

	if (id >= RELAY_MAX)
		return false;
	pthread_mutex_lock(&ident.lock);
	known = ident.dev[id][0] != '\0';
	snprintf(dev, dlen, "%s", ident.dev[id]);
	snprintf(path, plen, "%s", ident.path[id]);
	pthread_mutex_unlock(&ident.lock);
	return known;
}

const struct relay_params *engine_params(void)
{
	return &eng.params;
}

void lock_rule_broken(const char *rule, const char *file, int line)
{
	VLOG(CRIT, "lock rule broken at %s:%d: %s; aborting instead of deadlocking", file, line,
	     rule);
	abort();
}

void engine_lock(void)
{
	LOCK_RULE(!vring_locked, "engine lock taken under a guest's vring locks (rule 2)");
	LOCK_RULE(!engine_locked, "engine lock taken twice by one thread");
	pthread_mutex_lock(&eng.lock);
	engine_locked = true;
}

void engine_unlock(void)
{
	engine_locked = false;
	pthread_mutex_unlock(&eng.lock);
}

bool engine_lock_held(void)
{
	return engine_locked;
}

void engine_vring_locked(bool in)
{
	vring_locked = in;
}

struct relay *engine_find_by_path(const char *path)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i] && strcmp(eng.table[i]->path, path) == 0)
			return eng.table[i];
	return NULL;
}

int relay_apply(struct relay *r, enum relay_event ev)
{
	int cur = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	int next;

	do {
		next = relay_state_next((enum relay_state)cur, ev);
		if (next < 0) {
			VLOG(WARNING, "relay %u: event %s not allowed in state %s", r->id,
			     relay_event_name(ev), relay_vf_state_name((enum relay_state)cur));
			return -EINVAL;
		}
	} while (!__atomic_compare_exchange_n(&r->state, &cur, next, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	if (next != cur)
		VLOG(INFO, "relay %u: %s -> %s (%s)", r->id,
		     relay_vf_state_name((enum relay_state)cur),
		     relay_vf_state_name((enum relay_state)next), relay_event_name(ev));
	return 0;
}

static int pins_check(const struct relay_params *p)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		for (int d = 0; d < 2; d++) {
			int c = p->pins[i].cpu[d];

			if (c >= 0 && !cpuset_has(&p->workers, (unsigned int)c)) {
				RERR("relay %u is pinned to CPU %d, which is not a worker CPU", i,
				     c);
				return -EINVAL;
			}
		}
	return 0;
}

int relay_engine_start(const struct relay_params *p)
{
	int ret;

	if (cpuset_count(&p->workers) == 0 || cpuset_has(&p->workers, p->main_lcore)) {
		RERR("worker CPUs must be given and must not include the main lcore %u",
		     p->main_lcore);
		return -EINVAL;
	}
	ret = pins_check(p);
	if (ret)
		return ret;
	if (mkdir(p->vhost_dir, 0755) && errno != EEXIST) {
		ret = -errno;
		RERR("cannot create socket directory %s: %s", p->vhost_dir, strerror(errno));
		return ret;
	}
	eng.params = *p;
	ret = workers_start(p);
	if (ret)
		return ret;
	eng.started = true;
	return 0;
}

void relay_engine_stop(void)
{
	if (!eng.started)
		return;
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i])
			relay_remove(i);
	workers_stop();
	eng.started = false;
}

/* Requested names compare in their normalised form (PCI addresses in any spelling). */
static void dev_normalize(const char *dev, char *out, size_t len)
{
	if (!relay_pci_normalize(dev, out, len))
		snprintf(out, len, "%s", dev);
}

/* The relay already using @dev (normalised), or NULL. */
static const struct relay *dev_owner(const char *dev)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++) {
		const struct relay *r = eng.table[i];

		for (unsigned int m = 0; r && m < r->nb_members; m++)
			if (!strcmp(r->member[m].dev, dev))
				return r;
	}
	return NULL;
}

/* Undo whatever part of relay_add() was done; @r is no longer in the table. */
static void relay_free(struct relay *r)
{
	vf_close(r);
	rte_free(r);
}

/* Checks before anything is created: id, device list, bond parameters, ownership. */
static int add_check(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		     const char *name)
{
	char norm[RELAY_BOND_MAX][RELAY_DEV_LEN];
	const struct relay *owner;

	if (!eng.started)
		return -ENODEV;
	if (id >= RELAY_MAX) {
		RERR("relay id %u out of range 0..%u", id, RELAY_MAX - 1);
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
	if (eng.table[id]) {
		RERR("relay %u already exists (device %s)", id, eng.table[id]->dev);
		return -EEXIST;
	}
	for (unsigned int m = 0; m < n; m++) {
		if (!devs[m] || !*devs[m] || strlen(devs[m]) >= RELAY_DEV_LEN) {
			RERR("relay %u: device missing or longer than %u bytes", id,
			     RELAY_DEV_LEN - 1);
			return -EINVAL;
		}
		dev_normalize(devs[m], norm[m], sizeof(norm[m]));
		for (unsigned int k = 0; k < m; k++)
			if (!strcmp(norm[k], norm[m])) {
				RERR("relay %u: device %s given twice", id, devs[m]);
				return -EINVAL;
			}
		owner = dev_owner(norm[m]);
		if (owner) {
			RERR("relay %u: device %s already belongs to another relay (%u)", id,
			     devs[m], owner->id);
			return -EBUSY;
		}
	}
	return 0;
}

int relay_add(unsigned int id, const char *dev)
{
	return relay_add_bond(id, &dev, 1, 1, NULL);
}

int relay_add_bond(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		   const char *name)
{
	return relay_add_at(id, devs, n, mode, name, NULL);
}

int relay_free_id(void)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (!eng.table[i])
			return (int)i;
	return -ENOSPC;
}

int relay_add_at(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		 const char *name, const char *path)
{
	struct relay *r;
	int ret;

	last_error[0] = '\0';
	ret = add_check(id, devs, n, mode, name);
	if (ret)
		return ret;
	if (path && (path[0] != '/' || strlen(path) >= sizeof(r->path))) {
		RERR("relay %u: socket path '%s' is not an absolute path under %zu bytes", id, path,
		     sizeof(r->path));
		return -EINVAL;
	}
	if (path && relay_find_by_path(path) >= 0) {
		RERR("relay %u: socket %s is already used by relay %d", id, path,
		     relay_find_by_path(path));
		return -EBUSY;
	}
	r = rte_zmalloc("relay", sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (!r)
		return -ENOMEM;
	r->id = id;
	r->vid = -1;
	r->state = RELAY_UNINIT;
	r->nb_members = n;
	r->bond_mode = mode;
	for (unsigned int m = 0; m < n; m++)
		dev_normalize(devs[m], r->member[m].dev, sizeof(r->member[m].dev));
	if (n > 1)
		snprintf(r->bond_name, sizeof(r->bond_name), "%s", name ? name : "");
	snprintf(r->dev, sizeof(r->dev), "%s", r->member[0].dev);
	snprintf(r->devargs, sizeof(r->devargs), "%s",
		 relay_alias_resolve(eng.params.aliases, eng.params.nb_aliases, r->dev));
	for (int d = 0; d < 2; d++) {
		r->dir[d].relay = r;
		r->dir[d].id = (enum relay_dir_id)d;
		r->dir[d].cpu = -1;
	}
	if (path)
		snprintf(r->path, sizeof(r->path), "%s", path);
	else
		ret = relay_socket_path(eng.params.vhost_dir, eng.params.pattern, id, r->path,
					sizeof(r->path));
	if (ret)
		goto out_free;
	ident_set(id, r->dev, r->path);
	ret = vf_open(r, &eng.params);
	if (ret)
		goto out_free;
	relay_apply(r, RELAY_EV_VF_ADDED);

	engine_lock();
	eng.table[id] = r;
	engine_unlock();

	ret = vhost_open(r, &eng.params);
	if (ret)
		goto out_unlist;
	for (int d = 0; d < 2; d++) {
		ret = worker_attach(&r->dir[d], eng.params.pins[id].cpu[d]);
		if (ret)
			goto out_detach;
	}
	VLOG(NOTICE, "relay %u added: VF %s <-> %s (VF->VM on CPU %d, VM->VF on CPU %d)", id,
	     r->dev, r->path, r->dir[0].cpu, r->dir[1].cpu);
	return 0;

out_detach:
	for (int d = 0; d < 2; d++)
		worker_detach(&r->dir[d]);
	vhost_close(r, &eng.params);
out_unlist:
	engine_lock();
	eng.table[id] = NULL;
	engine_unlock();
out_free:
	relay_free(r);
	ident_set(id, "", "");
	return ret;
}

int relay_remove(unsigned int id)
{
	struct relay *r;

	last_error[0] = '\0';
	if (id >= RELAY_MAX || !eng.table[id]) {
		RERR("relay %u does not exist", id);
		return -ENOENT;
	}
	r = eng.table[id];
	relay_apply(r, RELAY_EV_REMOVE);
	for (int d = 0; d < 2; d++)
		worker_detach(&r->dir[d]);
	/* No worker sees the relay now; the guest is detached by destroy_device. */
	vhost_close(r, &eng.params);
	engine_lock();
	eng.table[id] = NULL;
	engine_unlock();
	relay_free(r);
	VLOG(NOTICE, "relay %u removed", id);
	ident_set(id, "", "");
	return 0;
}

int relay_workers_check(void)
{
	return eng.started ? workers_progressed() : -1;
}

void relay_test_stall_worker(void)
{
	workers_stall_one();
}

unsigned int relay_workers_load(struct relay_worker_load *out, unsigned int max)
{
	return eng.started ? workers_load(out, max) : 0;
}

void relay_test_slow_grace(unsigned int us)
{
	workers_slow_grace(us);
}

void relay_links_poll(void)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i]) {
			vf_bond_check(eng.table[i]);
			vf_link_check(eng.table[i]);
			vf_mtu_follow(eng.table[i]);
		}
}

unsigned int relay_members(unsigned int id, char out[RELAY_BOND_MAX][RELAY_DEV_LEN])
{
	unsigned int n = 0;

	engine_lock();
	if (id < RELAY_MAX && eng.table[id])
		for (n = 0; n < eng.table[id]->nb_members; n++)
			snprintf(out[n], RELAY_DEV_LEN, "%s", eng.table[id]->member[n].dev);
	engine_unlock();
	return n;
}

int relay_socket_name(unsigned int id, char *buf, size_t len)
{
	if (id >= RELAY_MAX)
		return -ERANGE;
	return relay_socket_path(eng.params.vhost_dir, eng.params.pattern, id, buf, len);
}

int relay_find_by_path(const char *path)
{
	const struct relay *r;
	int id;

	engine_lock();
	r = engine_find_by_path(path);
	id = r ? (int)r->id : -ENOENT;
	engine_unlock();
	return id;
}

unsigned int relay_list(unsigned int out[RELAY_MAX])
{
	unsigned int n = 0;

	engine_lock();
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i])
			out[n++] = i;
	engine_unlock();
	return n;
}

static void counters_read(const struct relay_counters *c, struct relay_counters *out)
{
	const uint64_t *src = (const uint64_t *)c;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int relay_snapshot_get(unsigned int id, struct relay_snapshot *out)
{
	const struct relay *r;

	if (id >= RELAY_MAX)
		return -ENOENT;
	engine_lock();
	r = eng.table[id];
	if (!r) {
		engine_unlock();
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->state = (enum relay_state)__atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	snprintf(out->dev, sizeof(out->dev), "%s", r->dev);
	snprintf(out->devargs, sizeof(out->devargs), "%s", r->devargs);
	snprintf(out->path, sizeof(out->path), "%s", r->path);
	out->port = r->port;
	out->socket_id = r->socket_id;
	out->vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	out->nr_vring = __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED);
	out->nb_members = r->nb_members;
	out->bond_mode = r->bond_mode;
	snprintf(out->bond_name, sizeof(out->bond_name), "%s", r->bond_name);
	out->link_up = __atomic_load_n(&r->link_up, __ATOMIC_RELAXED);
	out->link_speed = __atomic_load_n(&r->link_speed, __ATOMIC_RELAXED);
	out->vf_mtu = __atomic_load_n(&r->vf_mtu, __ATOMIC_RELAXED);
	out->guest_mtu = __atomic_load_n(&r->guest_mtu, __ATOMIC_RELAXED);
	if (r->pool) {
		out->mbufs = r->pool->size;
		out->mbufs_in_use = rte_mempool_in_use_count(r->pool);
	}
	for (int d = 0; d < 2; d++) {
		out->cpu[d] = r->dir[d].cpu;
		counters_read(&r->dir[d].c, &out->c[d]);
	}
	engine_unlock();
	return 0;
}

void relay_log_all(void)
{
	unsigned int ids[RELAY_MAX], n = relay_list(ids);
	struct relay_snapshot s;

	VLOG(NOTICE, "%u relay(s)", n);
	for (unsigned int i = 0; i < n; i++) {
		if (relay_snapshot_get(ids[i], &s))
			continue;
		for (int d = 0; d < 2; d++) {
			const struct relay_counters *c = &s.c[d];

			VLOG(NOTICE,
			     "relay %u %s %s/%s: rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			     " pkts %" PRIu64 " bytes, dropped full %" PRIu64
			     ", not connected %" PRIu64 ", oversize %" PRIu64,
			     s.id, d == RELAY_VF_TO_VM ? "vf_to_vm" : "vm_to_vf",
			     relay_vf_state_name(s.state), relay_vm_state_name(s.state), c->rx_pkts,
			     c->rx_bytes, c->tx_pkts, c->tx_bytes, c->full_pkts, c->down_pkts,
			     c->big_pkts);
		}
	}
}
