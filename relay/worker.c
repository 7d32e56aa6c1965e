/* SPDX-License-Identifier: BSD-3-Clause */
/* worker.c: worker lcores, publication of relay directions (RCU QSBR) and the data path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_vhost.h>

#include "relay_int.h"

/* What one worker polls; replaced whole (copy, swap, grace period, free). */
struct work_list {
	unsigned int n;
	struct relay_dir *item[];
};

struct worker {
	/* Read by the worker each pass; written by the control thread only on publication. */
	struct work_list *list; /* published with release, read with acquire */
	bool stall;		/* test hook: stop making progress (set by the control thread) */
	unsigned int lcore;
	unsigned int tid; /* QSBR thread id */
	/* Written by the worker alone, each pass (single-writer counters). */
	uint64_t heartbeat;   /* passes over the list */
	uint64_t busy_cycles; /* TSC cycles of the passes that moved frames */
	/* The control thread's bookkeeping: its own cache line, off the worker's hot path. */
	uint64_t seen __rte_cache_aligned; /* heartbeat at the last check */
	unsigned int load;		   /* directions assigned */
} __rte_cache_aligned;

static struct worker *workers;
static unsigned int nb_workers;
static struct rte_rcu_qsbr *qsv;
/* VM->VF frames of relays without a VF: made the first time one is published (control thread). */
static struct rte_mempool *drop_pool;
static bool stopping;		    /* set once with release; workers read with acquire */
static unsigned int grace_delay_us; /* test hook; set before any relay exists */

/* Single-writer counter update: a relaxed load and store, no locked instruction. */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline uint64_t burst_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t b = 0;

	for (uint16_t i = 0; i < n; i++)
		b += rte_pktmbuf_pkt_len(pkts[i]);
	return b;
}

/*
 * Count a received burst; returns its bytes and, in @longest, its longest frame (so that
 * the oversize check needs no pass of its own unless a frame is too long).
 */
static inline uint64_t count_rx(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
				uint32_t *longest)
{
	uint64_t bytes = 0;
	uint32_t top = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		bytes += len;
		top = RTE_MAX(top, len);
	}
	*longest = top;
	ctr_add(&c->rx_pkts, n);
	ctr_add(&c->rx_bytes, bytes);
	return bytes;
}

/*
 * Count the outcome of offering @n frames (@bytes in all) to the far side,
 * which took the first @sent. pkts[sent..n) are still ours: queue-full drops.
 */
static inline void count_tx(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
			    uint16_t sent, uint64_t bytes)
{
	uint64_t unsent_bytes = burst_bytes(pkts + sent, n - sent);

	ctr_add(&c->tx_pkts, sent);
	ctr_add(&c->tx_bytes, bytes - unsent_bytes);
	if (sent < n) {
		ctr_add(&c->full_pkts, n - sent);
		ctr_add(&c->full_bytes, unsent_bytes);
	}
}

/* Count and free @n frames the far side cannot take now (link down, far side gone). */
static inline void drop_down(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n,
			     uint64_t bytes)
{
	ctr_add(&d->c.down_pkts, n);
	ctr_add(&d->c.down_bytes, bytes);
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * Drop (count, free) the frames longer than the far side's MTU allows (@max bytes), unless
 * the VF is to segment them (TSO/USO). Returns how many are left at the front of @pkts; @bytes
 * loses theirs.
 */
static inline uint16_t drop_oversize(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n,
				     uint32_t max, uint64_t *bytes)
{
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (likely(m->pkt_len <= max) ||
		    (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))) {
			pkts[kept++] = m;
			continue;
		}
		ctr_add(&d->c.big_pkts, 1);
		ctr_add(&d->c.big_bytes, m->pkt_len);
		*bytes -= m->pkt_len;
		rte_pktmbuf_free(m);
	}
	return kept;
}

/* Rebuild @d's list of enabled guest RX queues from @mask (this worker's own copy). */
static void rxq_map_update(struct relay_dir *d, uint64_t mask)
{
	d->qmask = mask;
	d->nq = 0;
	for (uint64_t m = mask; m; m &= m - 1)
		d->qmap[d->nq++] = (uint8_t)__builtin_ctzll(m);
}

static inline uint32_t pkt_flow_hash(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	return relay_flow_hash(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
}

/*
 * Offer @n frames to guest RX queue @q (virtqueue 2q), again while the guest keeps taking
 * some (at most ENQUEUE_RETRIES more tries, no delay), and count the outcome.
 */
#define ENQUEUE_RETRIES 4

static inline void enqueue_count(struct relay_dir *d, int vid, unsigned int q,
				 struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	uint16_t sent = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), pkts, n);

	for (unsigned int t = 0; unlikely(sent < n) && sent && t < ENQUEUE_RETRIES; t++) {
		uint16_t more = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), pkts + sent,
							(uint16_t)(n - sent));

		ctr_add(&d->c.retries, 1);
		if (!more)
			break;
		sent += more;
	}
	count_tx(&d->c, pkts, n, sent, bytes);
}

/*
 * Software RSS: spread a burst over the guest's enabled RX queues by flow hash, keeping each
 * flow's frames in order on one queue. A counting sort groups the burst per queue.
 */
static void enqueue_spread(struct relay_dir *d, int vid, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *sorted[RELAY_BURST];
	uint16_t start[RELAY_MAX_QP + 1], pos[RELAY_MAX_QP];
	uint64_t qbytes[RELAY_MAX_QP];
	uint8_t qi[RELAY_BURST];
	unsigned int nq = d->nq;

	/* Only the entries of the enabled queues are used. */
	memset(start, 0, (nq + 1) * sizeof(start[0]));
	memset(qbytes, 0, nq * sizeof(qbytes[0]));

	for (uint16_t i = 0; i < n; i++) {
		qi[i] = (uint8_t)relay_hash_pick(pkt_flow_hash(pkts[i]), nq);
		start[qi[i] + 1]++;
		qbytes[qi[i]] += rte_pktmbuf_pkt_len(pkts[i]);
	}
	for (unsigned int k = 0; k < nq; k++)
		start[k + 1] += start[k];
	memcpy(pos, start, nq * sizeof(pos[0]));
	for (uint16_t i = 0; i < n; i++)
		sorted[pos[qi[i]]++] = pkts[i];
	for (unsigned int k = 0; k < nq; k++) {
		uint16_t cnt = start[k + 1] - start[k];

		if (cnt)
			enqueue_count(d, vid, d->qmap[k], sorted + start[k], cnt, qbytes[k]);
	}
}

/* One VF->VM burst; returns the frames taken from the VF. */
static uint16_t poll_vf_to_vm(struct relay_dir *d)
{
	struct relay *r = d->relay;
	struct rte_mbuf *pkts[RELAY_BURST];
	uint64_t bytes, mask;
	uint32_t max, longest;
	uint16_t n, rx;
	int vid;

	if (unlikely(!r->vf_open)) /* published for a guest whose VF has not come yet */
		return 0;
	n = rte_eth_rx_burst(r->port, 0, pkts, RELAY_BURST);
	if (n == 0)
		return 0;
	rx = n;
	bytes = count_rx(&d->c, pkts, n, &longest);
	vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	if (vid < 0) {
		drop_down(d, pkts, n, bytes);
		return rx;
	}
	/* A guest that announced its MTU gets nothing longer. */
	max = __atomic_load_n(&r->guest_max_frame, __ATOMIC_RELAXED);
	if (unlikely(max && longest > max) && (n = drop_oversize(d, pkts, n, max, &bytes)) == 0)
		return rx;
	mask = vhost_rxq_mask(vid);
	if (unlikely(mask != d->qmask))
		rxq_map_update(d, mask);
	/* Enqueue copies into guest buffers: every mbuf stays ours to free. */
	if (d->nq > 1)
		enqueue_spread(d, vid, pkts, n);
	else
		enqueue_count(d, vid, d->nq ? d->qmap[0] : 0, pkts, n, bytes);
	rte_pktmbuf_free_bulk(pkts, n);
	return rx;
}

/* Count the first @sent of @n frames (@bytes in all) as sent; the rest stay ours. */
static inline void count_sent(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
			      uint16_t sent, uint64_t bytes)
{
	ctr_add(&c->tx_pkts, sent);
	ctr_add(&c->tx_bytes, bytes - burst_bytes(pkts + sent, n - sent));
}

/* Keep frames the VF did not take: the first thing the next pass sends. */
static inline void hold(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	memcpy(d->held, pkts, n * sizeof(pkts[0]));
	d->nheld = n;
}

/*
 * Send what the VF refused before; returns the frames it took. Anything still held keeps the
 * guest's frames where they are (no dequeue this pass). Held frames the VF can no longer take
 * (link down) are dropped as not connected.
 */
static uint16_t send_held(struct relay_dir *d, uint16_t port, bool up)
{
	uint16_t n = d->nheld, sent;
	uint64_t bytes = burst_bytes(d->held, n);

	if (unlikely(!up)) {
		drop_down(d, d->held, n, bytes);
		d->nheld = 0;
		return 0;
	}
	ctr_add(&d->c.retries, 1);
	sent = rte_eth_tx_burst(port, 0, d->held, n);
	count_sent(&d->c, d->held, n, sent, bytes);
	d->nheld = n - sent;
	if (sent && d->nheld) /* the rest moves to the front, in order */
		memmove(d->held, d->held + sent, d->nheld * sizeof(d->held[0]));
	return sent;
}

/*
 * A guest whose relay has no VF: what it sends is taken from its rings and dropped as not
 * connected, as the reference does, so that it finds room when the VF comes.
 */
static unsigned int drain_guest(struct relay_dir *d, int vid, uint32_t nr_vring)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	unsigned int rx = 0;

	for (uint32_t q = 1; q < nr_vring; q += 2) {
		uint16_t n =
			rte_vhost_dequeue_burst(vid, (uint16_t)q, drop_pool, pkts, RELAY_BURST);
		uint32_t longest;

		if (n) {
			drop_down(d, pkts, n, count_rx(&d->c, pkts, n, &longest));
			rx += n;
		}
	}
	return rx;
}

/*
 * Frames the VF refused are held and sent first next time; until they are, nothing more is
 * dequeued from the guest. Returns the frames taken from the guest or sent from the hold.
 */
static unsigned int poll_vm_to_vf(struct relay_dir *d)
{
	struct relay *r = d->relay;
	struct rte_mbuf *pkts[RELAY_BURST];
	uint32_t nr_vring, max;
	unsigned int rx = 0;
	bool up;
	int vid;

	up = __atomic_load_n(&r->link_up, __ATOMIC_RELAXED);
	if (unlikely(d->nheld)) {
		rx = send_held(d, r->port, up);
		if (d->nheld)
			return rx;
	}
	vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	if (vid < 0)
		return rx;
	nr_vring = __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED);
	if (unlikely(!r->vf_open))
		return drain_guest(d, vid, nr_vring);
	max = __atomic_load_n(&r->max_frame, __ATOMIC_RELAXED);
	/* Guest TX queues are the odd vrings; vhost skips disabled ones. */
	for (uint32_t q = 1; q < nr_vring; q += 2) {
		uint32_t longest;
		uint16_t n, sent;
		uint64_t bytes;

		n = rte_vhost_dequeue_burst(vid, (uint16_t)q, r->pool, pkts, RELAY_BURST);
		if (n == 0)
			continue;
		rx += n;
		bytes = count_rx(&d->c, pkts, n, &longest);
		if (unlikely(!up)) {
			drop_down(d, pkts, n, bytes);
			continue;
		}
		if (unlikely(longest > max))
			n = drop_oversize(d, pkts, n, max, &bytes);
		/* Sent mbufs belong to the PMD once tx_burst returns; count_sent reads the rest. */
		sent = rte_eth_tx_burst(r->port, 0, pkts, n);
		count_sent(&d->c, pkts, n, sent, bytes);
		if (unlikely(sent < n)) {
			hold(d, pkts + sent, n - sent);
			break; /* the VF is full: leave the guest's frames in its rings */
		}
	}
	return rx;
}

/*
 * Idle policy: after IDLE_SPIN_PASSES passes that found no frame the worker sleeps (offline
 * for RCU, so grace periods do not wait for it), twice as long each time from
 * IDLE_SLEEP_MIN_US up to idle_max_us; the first frame brings full polling back.
 */
#define IDLE_SPIN_PASSES  64
#define IDLE_SLEEP_MIN_US 8
#define EMPTY_LIST_US	  1000 /* nothing published at all */

static unsigned int idle_max_us; /* 0: never sleep while there is work; set before launch */

static void worker_sleep(const struct worker *w, unsigned int us)
{
	rte_rcu_qsbr_thread_offline(qsv, w->tid);
	rte_delay_us_sleep(us);
	rte_rcu_qsbr_thread_online(qsv, w->tid);
}

/*
 * One pass over the published list; returns the frames it took in. The TSC is read once per
 * direction: a direction that moved frames is charged the cycles since the previous reading,
 * the worker the whole pass when any did.
 */
static unsigned int worker_pass(struct worker *w, const struct work_list *l)
{
	uint64_t start = rte_rdtsc(), t0 = start;
	unsigned int moved = 0;

	for (unsigned int i = 0; i < l->n; i++) {
		struct relay_dir *d = l->item[i];
		unsigned int n = d->id == RELAY_VF_TO_VM ? poll_vf_to_vm(d) : poll_vm_to_vf(d);
		uint64_t t1 = rte_rdtsc();

		if (n) {
			ctr_add(&d->c.busy_cycles, t1 - t0);
			moved += n;
		}
		t0 = t1;
	}
	if (moved)
		ctr_add(&w->busy_cycles, t0 - start);
	return moved;
}

static int worker_main(void *arg)
{
	unsigned int empty = 0, sleep_us = IDLE_SLEEP_MIN_US;
	struct worker *w = arg;

	/* Sleeps end on time (the default slack is 50 us), so an idle worker wakes promptly. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	rte_rcu_qsbr_thread_register(qsv, w->tid);
	rte_rcu_qsbr_thread_online(qsv, w->tid);
	while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		const struct work_list *l = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		unsigned int n = l->n, moved;

		if (unlikely(__atomic_load_n(&w->stall, __ATOMIC_RELAXED))) {
			/* Test hook: a stuck worker (offline, so shutdown still works). */
			rte_rcu_qsbr_thread_offline(qsv, w->tid);
			while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
				rte_pause();
			break;
		}
		__atomic_store_n(&w->heartbeat, w->heartbeat + 1, __ATOMIC_RELAXED);
		moved = worker_pass(w, l);
		/* After this the list may be freed: nothing of it is read below. */
		rte_rcu_qsbr_quiescent(qsv, w->tid);
		if (likely(moved)) {
			empty = 0;
			sleep_us = IDLE_SLEEP_MIN_US;
		} else if (n == 0) {
			worker_sleep(w, EMPTY_LIST_US);
		} else if (idle_max_us && ++empty > IDLE_SPIN_PASSES) {
			worker_sleep(w, RTE_MIN(sleep_us, idle_max_us));
			sleep_us = RTE_MIN(sleep_us * 2, idle_max_us);
		}
	}
	rte_rcu_qsbr_thread_offline(qsv, w->tid); /* harmless when already offline */
	rte_rcu_qsbr_thread_unregister(qsv, w->tid);
	return 0;
}

int workers_progressed(void)
{
	int stuck = -1;

	for (unsigned int i = 0; i < nb_workers; i++) {
		uint64_t hb = __atomic_load_n(&workers[i].heartbeat, __ATOMIC_RELAXED);

		if (hb == workers[i].seen && stuck < 0)
			stuck = (int)workers[i].lcore;
		workers[i].seen = hb;
	}
	return stuck;
}

unsigned int workers_load(struct relay_worker_load *out, unsigned int max)
{
	unsigned int n = RTE_MIN(nb_workers, max);

	for (unsigned int i = 0; i < n; i++) {
		out[i].lcore = workers[i].lcore;
		out[i].busy_cycles = __atomic_load_n(&workers[i].busy_cycles, __ATOMIC_RELAXED);
		out[i].tsc = rte_rdtsc();
	}
	return n;
}

void workers_stall_one(void)
{
	if (nb_workers)
		__atomic_store_n(&workers[0].stall, true, __ATOMIC_RELAXED);
}

void workers_slow_grace(unsigned int us)
{
	grace_delay_us = us;
}

void workers_synchronize(void)
{
	LOCK_RULE(!engine_lock_held(), "grace period awaited under the engine lock (rule 1)");
	if (unlikely(grace_delay_us))
		rte_delay_us_sleep(grace_delay_us);
	if (qsv)
		rte_rcu_qsbr_synchronize(qsv, RTE_QSBR_THRID_INVALID);
}

static struct work_list *list_alloc(unsigned int n)
{
	struct work_list *l = calloc(1, sizeof(*l) + n * sizeof(l->item[0]));

	if (l)
		l->n = n;
	return l;
}

static void list_publish(struct worker *w, struct work_list *nl)
{
	struct work_list *old = w->list;

	__atomic_store_n(&w->list, nl, __ATOMIC_RELEASE);
	workers_synchronize();
	free(old);
}

static struct worker *worker_pick(int cpu)
{
	struct worker *best = NULL;

	for (unsigned int i = 0; i < nb_workers; i++) {
		struct worker *w = &workers[i];

		if (cpu >= 0 && w->lcore == (unsigned int)cpu)
			return w;
		if (cpu < 0 && (!best || w->load < best->load))
			best = w;
	}
	return best;
}

int worker_attach(struct relay_dir *d, int cpu)
{
	struct worker *w = worker_pick(cpu);
	struct work_list *nl;

	if (!w)
		return -EINVAL;
	nl = list_alloc(w->list->n + 1);
	if (!nl)
		return -ENOMEM;
	memcpy(nl->item, w->list->item, w->list->n * sizeof(nl->item[0]));
	nl->item[w->list->n] = d;
	d->cpu = (int)w->lcore;
	w->load++;
	list_publish(w, nl);
	return 0;
}

void worker_detach(struct relay_dir *d)
{
	struct worker *w = d->cpu >= 0 ? worker_pick(d->cpu) : NULL;
	struct work_list *nl;
	unsigned int j = 0;

	if (!w)
		return;
	nl = list_alloc(w->list->n - 1);
	if (!nl) {
		/* Never leave a freed direction published: wait for memory. */
		VLOG(ERR, "out of memory unpublishing a relay direction; retrying");
		while (!(nl = list_alloc(w->list->n - 1)))
			rte_delay_us_sleep(1000);
	}
	for (unsigned int i = 0; i < w->list->n; i++)
		if (w->list->item[i] != d)
			nl->item[j++] = w->list->item[i];
	nl->n = j;
	w->load--;
	d->cpu = -1;
	list_publish(w, nl);
	/* No worker sees @d now: the control thread drops what it held, as not connected. */
	if (d->nheld) {
		drop_down(d, d->held, d->nheld, burst_bytes(d->held, d->nheld));
		d->nheld = 0;
	}
}

int workers_drop_pool(void)
{
	if (drop_pool)
		return 0;
	/* Frames are freed as soon as counted: a few bursts in flight, no per-lcore cache. */
	drop_pool = rte_pktmbuf_pool_create("relay_drop", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_socket_id());
	if (!drop_pool) {
		RERR("cannot create the pool for frames of guests without a VF: %s",
		     rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

int workers_start(const struct relay_params *p)
{
	size_t sz;
	int ret;

	nb_workers = cpuset_count(&p->workers);
	idle_max_us = p->idle_sleep_max_us;
	workers = rte_zmalloc("workers", nb_workers * sizeof(*workers), RTE_CACHE_LINE_SIZE);
	sz = rte_rcu_qsbr_get_memsize(nb_workers);
	qsv = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!workers || !qsv) {
		ret = -ENOMEM;
		goto out_free;
	}
	rte_rcu_qsbr_init(qsv, nb_workers);
	__atomic_store_n(&stopping, false, __ATOMIC_RELEASE);
	for (unsigned int i = 0, c = 0; i < nb_workers; i++, c++) {
		workers[i].lcore = c = (unsigned int)cpuset_next(&p->workers, c);
		workers[i].tid = i;
		workers[i].list = list_alloc(0);
		if (!workers[i].list) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	for (unsigned int i = 0; i < nb_workers; i++) {
		ret = rte_eal_remote_launch(worker_main, &workers[i], workers[i].lcore);
		if (ret) {
			VLOG(ERR, "cannot launch worker on lcore %u: %s", workers[i].lcore,
			     strerror(-ret));
			workers_stop();
			return ret;
		}
		VLOG(INFO, "worker %u running on lcore %u", i, workers[i].lcore);
	}
	return 0;
out_free:
	workers_stop();
	return ret;
}

void workers_stop(void)
{
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	for (unsigned int i = 0; workers && i < nb_workers; i++)
		rte_eal_wait_lcore(workers[i].lcore);
	for (unsigned int i = 0; workers && i < nb_workers; i++)
		free(workers[i].list);
	rte_free(workers);
	rte_free(qsv);
	rte_mempool_free(drop_pool);
	drop_pool = NULL;
	workers = NULL;
	qsv = NULL;
	nb_workers = 0;
}
