/* SPDX-License-Identifier: BSD-3-Clause */
/* relay.c: the relay table and its life cycle: add, remove, snapshots; engine start and stop. */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

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
	int event_fd; /* vhost callbacks -> control thread: publish or unpublish */
	bool started;
} eng = {.lock = PTHREAD_MUTEX_INITIALIZER, .event_fd = -1};

static _Thread_local char last_error[256];
static _Thread_local enum relay_step last_step;
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

void relay_error_clear(void)
{
	last_error[0] = '\0';
}

void relay_step(enum relay_step s)
{
	last_step = s;
}

enum relay_step relay_last_step(void)
{
	return last_step;
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

bool engine_vring_lock_held(void)
{
	return vring_locked;
}

struct relay *engine_find_by_path(const char *path)
{
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i] && eng.table[i]->sock_open &&
		    strcmp(eng.table[i]->path, path) == 0)
			return eng.table[i];
	return NULL;
}

int relay_apply(struct relay *r, int *side, enum relay_event ev)
{
	const char *what = side == &r->vf_side ? "VF" : "guest";
	int cur = __atomic_load_n(side, __ATOMIC_ACQUIRE);
	int next;

	do {
		next = relay_side_next((enum relay_side)cur, ev);
		if (next < 0) {
			VLOG(WARNING, "relay %u: %s side: event %s not allowed in state %s", r->id,
			     what, relay_event_name(ev),
			     side == &r->vf_side ? relay_vf_state_name((enum relay_side)cur, 0)
						 : relay_vm_state_name((enum relay_side)cur));
			return -EINVAL;
		}
	} while (!__atomic_compare_exchange_n(side, &cur, next, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	VLOG(DEBUG, "relay %u: %s side %s", r->id, what, relay_event_name(ev));
	return 0;
}

void engine_notify(void)
{
	if (eng.event_fd >= 0 && eventfd_write(eng.event_fd, 1))
		VLOG(WARNING, "cannot wake the control thread: %s", strerror(errno));
}

int relay_event_fd(void)
{
	return eng.event_fd;
}

unsigned int relay_max(void)
{
	return RTE_MIN(RELAY_MAX, RTE_MAX_ETHPORTS);
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

/* ---- slots: a relay id with its socket and/or VF -------------------------- */

static struct relay *slot_new(unsigned int id)
{
	/* Ordinary memory: 64 slots of ~10 kB need not take hugepages. */
	struct relay *r =
		aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sizeof(*r), RTE_CACHE_LINE_SIZE));

	if (r)
		memset(r, 0, sizeof(*r));
	if (!r) {
		RERR("relay %u: out of memory", id);
		return NULL;
	}
	r->id = id;
	r->vid = -1;
	r->nb_lanes = 1;
	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++) {
		for (int d = 0; d < 2; d++) {
			r->lane[l][d].relay = r;
			r->lane[l][d].id = (enum relay_dir_id)d;
			r->lane[l][d].lane = (uint8_t)l;
			r->lane[l][d].cpu = -1;
		}
	}
	engine_lock();
	eng.table[id] = r;
	engine_unlock();
	return r;
}

/* Give @r its vhost-user socket at @path (NULL: the pattern's). */
static int slot_sock_open(struct relay *r, const char *path)
{
	int ret = 0;

	if (path)
		snprintf(r->path, sizeof(r->path), "%s", path);
	else
		ret = relay_socket_path(eng.params.vhost_dir, eng.params.pattern, r->id, r->path,
					sizeof(r->path));
	if (ret) {
		RERR("relay %u: no socket path from %s and pattern '%s': %s", r->id,
		     eng.params.vhost_dir, eng.params.pattern, strerror(-ret));
		return ret;
	}
	ret = vhost_open(r, &eng.params);
	if (ret)
		r->path[0] = '\0';
	return ret;
}

/* The relay has no VF (any more): forget its names, publish again for a guest that stays. */
static void vf_forget(struct relay *r)
{
	engine_lock();
	r->vf_lost = false;
	r->nb_members = 0;
	r->dev[0] = r->devargs[0] = r->bond_name[0] = '\0';
	memset(r->member, 0, sizeof(r->member));
	engine_unlock();
	relay_sync(r);
}

/* Take the VF away: unpublish, close, publish again for a guest that stays. */
static void vf_detach(struct relay *r)
{
	relay_apply(r, &r->vf_side, RELAY_EV_DOWN);
	relay_unpublish(r);
	vf_close(r);
	relay_apply(r, &r->vf_side, RELAY_EV_GONE);
	vf_forget(r);
}

/* Close the socket and the VF and forget the slot; no worker sees it afterwards. */
static void slot_destroy(struct relay *r)
{
	unsigned int id = r->id;

	/* Disconnects a guest (destroy_device runs here and waits for the workers). */
	vhost_close(r, &eng.params);
	if (r->vf_open)
		vf_detach(r);
	relay_unpublish(r);
	engine_lock();
	eng.table[id] = NULL;
	engine_unlock();
	free(r);
	ident_set(id, "", "");
}

/*
 * The socket directory, as the reference makes it: mode 0777 (less the umask) when missing,
 * then given to the sockets' owner and group (an existing one too when -u/-g are given); a
 * path that is not a directory is refused.
 */
static int sock_dir_make(const struct relay_params *p)
{
	struct stat st;

	if (mkdir(p->vhost_dir, 0777) == 0) {
		if ((p->sock_uid != (uid_t)-1 || p->sock_gid != (gid_t)-1) &&
		    chown(p->vhost_dir, p->sock_uid, p->sock_gid))
			VLOG(WARNING, "cannot give socket directory %s to %d:%d: %s", p->vhost_dir,
			     (int)p->sock_uid, (int)p->sock_gid, strerror(errno));
		return 0;
	}
	if (errno != EEXIST) {
		int err = errno;

		RERR("cannot create socket directory %s: %s", p->vhost_dir, strerror(err));
		return -err;
	}
	if (stat(p->vhost_dir, &st) || !S_ISDIR(st.st_mode)) {
		RERR("socket directory %s exists and is not a directory", p->vhost_dir);
		return -ENOTDIR;
	}
	/* -u/-g given: as the reference's pre-start script, not recursive. */
	if (p->sock_dir_chown && chown(p->vhost_dir, p->sock_uid, p->sock_gid))
		VLOG(WARNING, "cannot give socket directory %s to %d:%d: %s", p->vhost_dir,
		     (int)p->sock_uid, (int)p->sock_gid, strerror(errno));
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
	ret = sock_dir_make(p);
	if (ret)
		return ret;
	eng.params = *p;
	eng.event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (eng.event_fd < 0) {
		ret = -errno;
		RERR("cannot create the engine's event fd: %s", strerror(errno));
		return ret;
	}
	ret = workers_start(p);
	if (ret)
		goto out_fd;
	ret = vf_events_start();
	if (ret) {
		workers_stop();
		goto out_fd;
	}
	eng.started = true;
	if (relay_max() < RELAY_MAX)
		VLOG(NOTICE,
		     "relays 0..%u: the linked DPDK has %u ethdev ports (RTE_MAX_ETHPORTS); "
		     "64 relays need a DPDK built with max_ethports=64",
		     relay_max() - 1, RTE_MAX_ETHPORTS);
	if (p->dynamic)
		return 0;
	/* Every relay id has its socket from the start, with or without a VF. */
	for (unsigned int id = 0; id < relay_max(); id++) {
		struct relay *r = slot_new(id);

		ret = r ? slot_sock_open(r, NULL) : -ENOMEM;
		if (ret) {
			relay_engine_stop();
			return ret;
		}
		ident_set(id, "", r->path);
	}
	VLOG(INFO, "%u vhost-user sockets %s in %s", relay_max(),
	     p->client_mode ? "dialled" : "listening", p->vhost_dir);
	return 0;
out_fd:
	close(eng.event_fd);
	eng.event_fd = -1;
	return ret;
}

void relay_engine_stop(void)
{
	if (!eng.started)
		return;
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (eng.table[i])
			slot_destroy(eng.table[i]);
	vf_events_stop();
	workers_stop();
	close(eng.event_fd);
	eng.event_fd = -1;
	eng.started = false;
}

/* Open @r's VF over @devs and publish; on error the relay is as before. */
static int vf_attach(struct relay *r, const char *const *devs, unsigned int n, unsigned int mode,
		     const char *name)
{
	char why[256] = "";
	int ret;

	/* A connected guest's VM->VF direction is published: take it back while the VF comes. */
	relay_unpublish(r);
	engine_lock();
	r->nb_members = n;
	r->bond_mode = mode;
	for (unsigned int m = 0; m < n; m++)
		relay_dev_normalize(devs[m], r->member[m].dev, sizeof(r->member[m].dev));
	snprintf(r->bond_name, sizeof(r->bond_name), "%s", n > 1 && name ? name : "");
	/* Reported as requested (the reference compares and prints request strings). */
	snprintf(r->dev, sizeof(r->dev), "%s", n > 1 ? r->member[0].dev : devs[0]);
	snprintf(r->devargs, sizeof(r->devargs), "%s",
		 relay_alias_resolve(eng.params.aliases, eng.params.nb_aliases, r->dev));
	engine_unlock();
	/* A PCI VF not on vfio-pci yet: bound here when VIRTIOFWD_BIND_VFIO_PCI names it. */
	relay_step(RELAY_STEP_PROBE);
	ret = vf_ready(r, why, sizeof(why));
	if (ret && ret != -ENODEV) /* not there: probing says so */
		RERR("relay %u: %s", r->id, why);
	else
		ret = vf_open(r, &eng.params);
	if (ret) {
		vf_forget(r);
		return ret;
	}
	relay_apply(r, &r->vf_side, RELAY_EV_UP);
	ident_set(r->id, r->dev, r->path);
	relay_step(RELAY_STEP_WORKER);
	ret = relay_sync(r);
	if (ret) {
		vf_detach(r);
		return ret;
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
	for (unsigned int i = 0; i < relay_max(); i++)
		if (!eng.table[i])
			return (int)i;
	return -ENOSPC;
}

int relay_add_at(unsigned int id, const char *const *devs, unsigned int n, unsigned int mode,
		 const char *name, const char *path)
{
	bool created = false, opened = false;
	struct relay *r;
	int ret;

	relay_error_clear();
	relay_step(RELAY_STEP_CHECK);
	if (!eng.started)
		return -ENODEV;
	ret = relay_add_check(id, devs, n, mode, name);
	if (ret)
		return ret;
	if (path && (ret = relay_path_check(id, path)))
		return ret;
	r = eng.table[id];
	if (!r) {
		r = slot_new(id);
		if (!r)
			return -ENOMEM;
		created = true;
	}
	if (path && !r->sock_open) {
		relay_step(RELAY_STEP_SOCKET);
		ret = slot_sock_open(r, path);
		if (ret)
			goto out_undo;
		opened = true;
	}
	ret = vf_attach(r, devs, n, mode, name);
	if (ret)
		goto out_undo;
	VLOG(NOTICE, "relay %u added: VF %s <-> %s (VF->VM on CPU %d, VM->VF on CPU %d)", id,
	     r->dev, r->sock_open ? r->path : "no socket", r->lane[0][0].cpu, r->lane[0][1].cpu);
	return 0;
out_undo:
	if (created)
		slot_destroy(r);
	else if (opened)
		vhost_close(r, &eng.params);
	return ret;
}

int relay_remove(unsigned int id)
{
	struct relay *r = id < RELAY_MAX ? eng.table[id] : NULL;

	relay_error_clear();
	if (r && r->vf_lost) {
		VLOG(NOTICE, "relay %u: lost VF %s forgotten, no longer waited for", id, r->dev);
		vf_forget(r);
		if (!r->sock_open)
			slot_destroy(r);
		return 0;
	}
	if (!r || !r->vf_open) {
		RERR("relay %u has no VF", id);
		return -ENOENT;
	}
	vf_detach(r);
	VLOG(NOTICE, "relay %u: VF removed%s", id,
	     __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE) >= 0 ? "; its guest stays connected" : "");
	ident_set(id, "", r->path);
	if (!r->sock_open)
		slot_destroy(r);
	return 0;
}

int relay_remove_sock(unsigned int id)
{
	struct relay *r = id < RELAY_MAX ? eng.table[id] : NULL;

	relay_error_clear();
	if (!r) {
		RERR("relay %u has neither socket nor VF", id);
		return -ENOENT;
	}
	slot_destroy(r);
	VLOG(NOTICE, "relay %u: socket and VF removed", id);
	return 0;
}

void relay_links_poll(void)
{
	if (eng.started)
		workers_sample();
	for (unsigned int i = 0; i < RELAY_MAX; i++) {
		if (eng.table[i] && eng.table[i]->vf_open) {
			vf_bond_check(eng.table[i]);
			vf_link_check(eng.table[i]);
			vf_mtu_follow(eng.table[i]);
		}
		if (eng.table[i])
			vf_watch(eng.table[i]);
	}
}

struct relay *engine_relay(unsigned int id)
{
	return id < RELAY_MAX ? eng.table[id] : NULL;
}

bool engine_started(void)
{
	return eng.started;
}
