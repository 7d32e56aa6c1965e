/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ovsdb.c: port control following Open vSwitch's database (-O), the way OVS-based
 * deployments drive the relay: an Interface row whose external_ids carry virtio_forwarder=N
 * (or virtio_relay=N) gives relay N that interface's device; losing the key takes it away, a
 * new value moves it. We speak RFC 7047 JSON-RPC to the socket -O names (the reference ran
 * ovsdb-client, which never got it), monitor Interface's name and external_ids, answer echo,
 * reconnect every second when ovsdb-server goes away, and resynchronise on reconnecting:
 * relays whose row went while we were away lose their VF. Relays keep running meanwhile.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl.h"
#include "json.h"
#include "relay.h"
#include "stats.h"
#include "vlog.h"

#define RETRY_NS   1000000000ull
#define MSG_MAX	   (16u << 20) /* a connection sending more at once is dropped */
#define MONITOR_ID 1

struct row {
	char uuid[40];
	char name[17];
	int id;			 /* relay from external_ids, -1: none */
	char dev[RELAY_DEV_LEN]; /* the interface's device, "" when it has none */
};

struct ctl_ovsdb {
	const struct ctl_config *cfg;
	int fd; /* -1: not connected */
	char *buf;
	size_t len, cap;
	struct row *rows;
	size_t nrows, rcap;
	char owned[RELAY_MAX][RELAY_DEV_LEN]; /* VFs we gave relays ("" none) */
	uint64_t next_try_ns;
	bool quiet; /* a failed connection was logged: the next ones are not */
};

/* The relay id external_ids names: -1 none, -2 malformed (logged). */
static int row_relay(const char *name, const struct json *ids)
{
	const struct json *pairs = json_at(ids, 1);

	if (!json_str(json_at(ids, 0)) || strcmp(json_str(json_at(ids, 0)), "map"))
		return -1;
	for (size_t i = 0; pairs && i < pairs->n; i++) {
		const char *k = json_str(json_at(&pairs->item[i], 0));
		const char *v = json_str(json_at(&pairs->item[i], 1));
		char *end;
		long id;

		if (!k || !v || (strcmp(k, "virtio_forwarder") && strcmp(k, "virtio_relay")))
			continue;
		id = strtol(v, &end, 0);
		if (!*v || *end || id < 0 || id >= (long)relay_max()) {
			VLOG(WARNING,
			     "OVSDB: Interface %s: external_ids:%s='%s' is not a relay id 0..%u; "
			     "ignored",
			     name, k, v, relay_max() - 1);
			return -2;
		}
		return (int)id;
	}
	return -1;
}

static struct row *row_find(struct ctl_ovsdb *o, const char *uuid)
{
	for (size_t i = 0; i < o->nrows; i++)
		if (!strcmp(o->rows[i].uuid, uuid))
			return &o->rows[i];
	return NULL;
}

/* One row's "new" contents (a full row), or its deletion (@new NULL). */
static void row_update(struct ctl_ovsdb *o, const char *uuid, const struct json *new)
{
	struct row *r = row_find(o, uuid);
	const char *name = json_str(json_get(new, "name"));
	char why[320];
	int id, index;

	if (!new) {
		if (r)
			*r = o->rows[--o->nrows];
		return;
	}
	if (!r) {
		if (o->nrows == o->rcap) {
			size_t ncap = o->rcap ? 2 * o->rcap : 16;
			struct row *nr = realloc(o->rows, ncap * sizeof(*nr));

			if (!nr) {
				VLOG(ERR, "OVSDB: out of memory for Interface rows");
				return;
			}
			o->rows = nr;
			o->rcap = ncap;
		}
		r = &o->rows[o->nrows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->uuid, sizeof(r->uuid), "%.39s", uuid);
		r->id = -1;
	}
	if (name && strcmp(r->name, name)) {
		snprintf(r->name, sizeof(r->name), "%.16s", name);
		r->dev[0] = '\0';
	}
	id = row_relay(r->name, json_get(new, "external_ids"));
	if (id == -2)
		return; /* malformed: logged, nothing changes */
	if (id >= 0 && !r->dev[0] &&
	    ctl_netdev_map(o->cfg, r->name, r->dev, sizeof(r->dev), &index, why, sizeof(why)))
		VLOG(WARNING, "OVSDB: Interface %s (relay %d): %s", r->name, id, why);
	r->id = id;
}

/* "table-updates": {"Interface": {uuid: {"old": ..., "new": ...}}}. */
static void updates_apply(struct ctl_ovsdb *o, const struct json *tu)
{
	const struct json *t = json_get(tu, "Interface");

	for (size_t i = 0; t && t->type == JSON_OBJECT && i < t->n; i++)
		row_update(o, t->key[i], json_get(&t->item[i], "new"));
}

/* Relays to what the rows say: take away what no row wants, then give what they do. */
static void reconcile(struct ctl_ovsdb *o)
{
	const char *want[RELAY_MAX] = {NULL};

	for (size_t i = 0; i < o->nrows; i++) {
		const struct row *r = &o->rows[i];

		if (r->id < 0 || !r->dev[0])
			continue;
		if (want[r->id] && strcmp(want[r->id], r->dev))
			VLOG(WARNING, "OVSDB: relay %d named by two interfaces; %s is not used",
			     r->id, r->name);
		else
			want[r->id] = r->dev;
	}
	for (int id = 0; id < RELAY_MAX; id++)
		if (o->owned[id][0] && (!want[id] || strcmp(want[id], o->owned[id]))) {
			ctl_vf_detach("OVSDB", o->owned[id]);
			o->owned[id][0] = '\0';
		}
	for (int id = 0; id < RELAY_MAX; id++)
		if (want[id] && !o->owned[id][0] && ctl_vf_attach("OVSDB", id, want[id]) == 0)
			snprintf(o->owned[id], sizeof(o->owned[id]), "%s", want[id]);
}

static int send_text(struct ctl_ovsdb *o, const char *text)
{
	size_t n = strlen(text), off = 0;

	while (off < n) {
		ssize_t w = send(o->fd, text + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static void disconnect(struct ctl_ovsdb *o, const char *why)
{
	VLOG(WARNING, "OVSDB: connection to %s lost (%s); relays kept, reconnecting",
	     o->cfg->ovsdb_sock, why);
	close(o->fd);
	o->fd = -1;
	o->len = 0;
	o->nrows = 0;
	o->quiet = false;
	o->next_try_ns = stats_now_ns();
}

/* One message from ovsdb-server. */
static void message(struct ctl_ovsdb *o, const struct json *m)
{
	const char *method = json_str(json_get(m, "method"));
	const struct json *id = json_get(m, "id");

	if (method && !strcmp(method, "echo")) {
		char reply[128];

		/* ovsdb-server's echo ids are short strings ("echo"); answer with empty params */
		snprintf(reply, sizeof(reply), "{\"id\":\"%.64s\",\"result\":[],\"error\":null}",
			 json_str(id) ? json_str(id) : "echo");
		if (send_text(o, reply))
			disconnect(o, "echo reply not sent");
		return;
	}
	if (method && !strcmp(method, "update")) {
		updates_apply(o, json_at(json_get(m, "params"), 1));
		reconcile(o);
		return;
	}
	if (id && id->type == JSON_NUMBER && id->number == MONITOR_ID) {
		const struct json *err = json_get(m, "error");

		if (err && err->type != JSON_NULL) {
			VLOG(ERR,
			     "OVSDB: %s refused to monitor Interface (is it Open_vSwitch's "
			     "database?)",
			     o->cfg->ovsdb_sock);
			return;
		}
		o->nrows = 0; /* the full table: what is not in it is gone */
		updates_apply(o, json_get(m, "result"));
		VLOG(NOTICE, "OVSDB: following %s (%zu interfaces)", o->cfg->ovsdb_sock, o->nrows);
		reconcile(o);
	}
}

static void try_connect(struct ctl_ovsdb *o)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	static const char monitor[] =
		"{\"id\":1,\"method\":\"monitor\",\"params\":[\"Open_vSwitch\",null,"
		"{\"Interface\":{\"columns\":[\"name\",\"external_ids\"]}}]}";
	int fd;

	o->next_try_ns = stats_now_ns() + RETRY_NS;
	if (strlen(o->cfg->ovsdb_sock) >= sizeof(sa.sun_path)) {
		if (!o->quiet)
			VLOG(ERR, "OVSDB: socket path %s is too long", o->cfg->ovsdb_sock);
		o->quiet = true;
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", o->cfg->ovsdb_sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (!o->quiet)
			VLOG(WARNING, "OVSDB: cannot connect to %s: %s; trying every second",
			     o->cfg->ovsdb_sock, strerror(errno));
		o->quiet = true;
		if (fd >= 0)
			close(fd);
		return;
	}
	o->fd = fd;
	o->quiet = false;
	if (send_text(o, monitor))
		disconnect(o, "monitor request not sent");
}

struct ctl_ovsdb *ctl_ovsdb_open(const struct ctl_config *cfg)
{
	struct ctl_ovsdb *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->cfg = cfg;
	o->fd = -1;
	try_connect(o);
	return o;
}

int ctl_ovsdb_fd(const struct ctl_ovsdb *o)
{
	return o ? o->fd : -1;
}

void ctl_ovsdb_tick(struct ctl_ovsdb *o)
{
	if (o && o->fd < 0 && stats_now_ns() >= o->next_try_ns)
		try_connect(o);
}

void ctl_ovsdb_ready(struct ctl_ovsdb *o)
{
	char err[128] = "";
	ssize_t n;
	long end;

	if (o->cap - o->len < 65536) {
		size_t ncap = o->cap ? 2 * o->cap : 131072;
		char *nb = ncap <= MSG_MAX ? realloc(o->buf, ncap) : NULL;

		if (!nb) {
			disconnect(o, "a message over 16 MiB");
			return;
		}
		o->buf = nb;
		o->cap = ncap;
	}
	n = recv(o->fd, o->buf + o->len, o->cap - o->len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		disconnect(o, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	o->len += (size_t)n;
	while (o->fd >= 0 && (end = json_stream_next(o->buf, o->len)) != 0) {
		struct json *m = end > 0 ? json_parse(o->buf, (size_t)end, err, sizeof(err)) : NULL;

		if (!m) {
			disconnect(o, end < 0 ? "not JSON-RPC" : err);
			return;
		}
		message(o, m);
		json_free(m);
		if (o->fd < 0)
			return;
		memmove(o->buf, o->buf + end, o->len - (size_t)end);
		o->len -= (size_t)end;
	}
}

void ctl_ovsdb_close(struct ctl_ovsdb *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o->buf);
	free(o->rows);
	free(o);
}
