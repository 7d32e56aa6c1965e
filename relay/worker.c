/* SPDX-License-Identifier: BSD-3-Clause */
/* worker.c: worker lcores, their loop and idle policy, publication of relay directions (RCU QSBR).
 */
#define _GNU_SOURCE /* CPU_AND, CPU_COUNT for rte_lcore_cpuset() */
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
	struct worker_irq *irq; /* interrupt mode (irq.c), NULL without it; set before launch */
	/* Written by the worker alone, each pass (single-writer counters). */
	uint64_t heartbeat;   /* passes over the list */
	uint64_t busy_cycles; /* TSC cycles of the passes that moved frames */
	uint64_t irq_sleeps;  /* sleeps in interrupt mode */
	/* Set before launch. */
	unsigned int lcore;
	unsigned int tid; /* QSBR thread id */
	int node;	  /* NUMA node of its CPU */
	bool shares_cpu;  /* another worker runs on one of its CPUs (test-only mapping) */
	bool stall;	  /* test hook: stop making progress (set by the control thread) */
	bool armed;	  /* in interrupt mode, written by the worker: see worker_doze() */
	/* The control thread's bookkeeping: its own cache line, off the worker's hot path. */
	uint64_t seen __rte_cache_aligned; /* heartbeat at the last check */
	uint64_t busy_seen, tsc_seen;	   /* busy_cycles and TSC at the last sample */
	unsigned int load;		   /* directions assigned */
	unsigned int busy_pm;		   /* measured load, per mille, smoothed */
} __rte_cache_aligned;

static struct worker *workers;
static unsigned int nb_workers;
static struct rte_rcu_qsbr *qsv;
static bool stopping;		    /* set once with release; workers read with acquire */
static unsigned int grace_delay_us; /* test hook; set before any relay exists */

/*
 * Idle policy: once IDLE_SPIN_US have passed without a frame (and at least IDLE_SPIN_PASSES
 * passes) the worker sleeps (offline for RCU, so grace periods do not wait for it), twice as
 * long each time from IDLE_SLEEP_MIN_US up to idle_max_us; the first frame brings full
 * polling back. Traffic with gaps shorter than IDLE_SPIN_US never meets a sleeping worker
 * (zero-loss rate and latency under load are those of spinning: doc/performance.md); a frame
 * after a longer silence waits for the end of the current sleep. A worker that shares its CPU
 * with another (a test-only lcore mapping) never spins past IDLE_SPIN_PASSES: its spinning
 * would take the CPU from the worker beside it, and delay that one's grace periods.
 */
#define IDLE_SPIN_PASSES  64
#define IDLE_SPIN_US	  200
#define IDLE_SLEEP_MIN_US 8
#define EMPTY_LIST_US	  1000 /* nothing published at all */
#define GRACE_POLL_US	  10   /* how often a grace period's end is checked */

static unsigned int idle_max_us; /* 0: never sleep while there is work; set before launch */

static void worker_sleep(const struct worker *w, unsigned int us)
{
	rte_rcu_qsbr_thread_offline(qsv, w->tid);
	rte_delay_us_sleep(us);
	rte_rcu_qsbr_thread_online(qsv, w->tid);
}

/*
 * Idle directions beside busy ones: a direction that found nothing in DIR_SPIN_POLLS polls
 * in a row is polled every second pass, then every fourth, up to every DIR_SKIP_MAX-th, while
 * the worker is busy with others; its first frame brings it back to every pass. So 31 idle
 * relays cost a busy one little (doc/performance.md, relays), and an idle relay's first frame
 * waits at most DIR_SKIP_MAX - 1 passes (a VF RX ring of 512 holds that at line rate). An
 * idle worker polls everything at each wake-up.
 */
#define DIR_SPIN_POLLS 64
#define DIR_SKIP_MAX   8

/*
 * Cycle accounting reads the TSC once per pass, at its end (rdtsc was 5 % of the worker at full
 * load when read around every poll: doc/performance.md, Profile). A pass that moved frames
 * charges the cycles since the previous reading (the loop's own bookkeeping included) to the
 * worker, and to the directions that moved them, shared by frames; after PASS_MOVERS such
 * directions in one pass the TSC is read and the share made early.
 */
#define PASS_MOVERS 8

struct pass {
	uint64_t tsc;	    /* at the end of the previous pass, then of this one */
	unsigned int moved; /* frames taken in by this pass */
	unsigned int nm;    /* directions that moved frames, not yet charged */
	unsigned int share; /* their frames */
	struct relay_dir *mover[PASS_MOVERS];
	unsigned int got[PASS_MOVERS];
};

static void pass_charge(struct pass *p, uint64_t now)
{
	uint64_t cycles = now - p->tsc;

	if (likely(p->nm == 1)) /* no division in the common case */
		ctr_add(&p->mover[0]->c.busy_cycles, cycles);
	else
		for (unsigned int i = 0; i < p->nm; i++)
			ctr_add(&p->mover[i]->c.busy_cycles, cycles * p->got[i] / p->share);
	p->nm = p->share = 0;
}

/*
 * One pass over the published list: @p->moved the frames it took in, @p->tsc its end. @busy:
 * the previous pass moved frames (idle directions may be skipped).
 */
static void worker_pass(struct worker *w, const struct work_list *l, bool busy, struct pass *p)
{
	uint64_t start = p->tsc, end;

	p->moved = 0;
	for (unsigned int i = 0; i < l->n; i++) {
		struct relay_dir *d = l->item[i];
		unsigned int n;

		if (busy && d->skip) {
			d->skip--;
			continue;
		}
		n = dir_poll(d);
		if (n) {
			if (unlikely(p->nm == PASS_MOVERS)) {
				uint64_t now = rte_rdtsc();

				pass_charge(p, now);
				p->tsc = now;
			}
			p->mover[p->nm] = d;
			p->got[p->nm++] = n;
			p->share += n;
			p->moved += n;
			d->empty_polls = 0;
		} else if (++d->empty_polls > DIR_SPIN_POLLS) {
			unsigned int k = RTE_MIN(d->empty_polls - DIR_SPIN_POLLS, DIR_SKIP_MAX);

			d->skip = (uint8_t)(rte_align32prevpow2(k) - 1);
			d->empty_polls = RTE_MIN(d->empty_polls, DIR_SPIN_POLLS + DIR_SKIP_MAX);
		}
	}
	end = rte_rdtsc();
	if (p->moved) {
		pass_charge(p, end);
		ctr_add(&w->busy_cycles, end - start);
	}
	p->tsc = end;
}

/*
 * Interrupt mode (irq.c): a worker still silent after a sleep of idle_max_us arms what can
 * bring it frames and sleeps in epoll, up to IRQ_SLEEP_MS (so a kick fd replaced without a
 * callback, or a lost wake-up, costs at most that; the watchdog wants a pass a second).
 *
 * It stays online for RCU and reports no quiescent state from arming to disarming, so what it
 * armed (ports, vids, fds) cannot go away under it; whoever waits for a grace period or
 * changes what it should watch must wake it. The handshake, Dekker's: the worker stores
 * armed = true, then (seq_cst fence) reads its list and each relay's state, arms, makes one
 * more pass and sleeps; the other side stores its change, then (seq_cst fence) reads armed
 * and, when set, writes the wake-up fd (workers_wake; workers_synchronize checks again while
 * it waits). Either the worker's reads see the change, or the other side sees it armed.
 */
#define IRQ_SLEEP_MS 100

static unsigned int irq_sleep_ms = IRQ_SLEEP_MS; /* test hook: workers_irq_sleep() */

void workers_irq_sleep(unsigned int ms)
{
	__atomic_store_n(&irq_sleep_ms, ms, __ATOMIC_RELAXED);
}

/*
 * The sleep ran its whole time: a VF queue with frames now has an RX interrupt that did not
 * fire (an emulated igb VF's under DPDK 22.11 never does; two queues on one MSI-X vector leave
 * one of them silent). Such a queue no longer arms (irq_possible): timed sleeps serve it, and
 * the control thread logs it and shows it in stats. A frame that came in the microseconds
 * between the timeout and this poll would count too: the cost is timed sleeps, not latency.
 */
static void irq_misses_find(const struct work_list *l)
{
	for (unsigned int i = 0; i < l->n; i++) {
		struct relay_dir *d = l->item[i];

		if (d->id == RELAY_VF_TO_VM && d->relay->vf_open && !d->irq_missed &&
		    dir_poll(d) > 0)
			__atomic_store_n(&d->irq_missed, 1, __ATOMIC_RELAXED);
	}
}

/* Sleep in interrupt mode; false when something it serves cannot wake it (nothing done). */
static bool worker_doze(struct worker *w, struct pass *p)
{
	const struct work_list *l;
	bool armed;

	__atomic_store_n(&w->armed, true, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	l = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
	armed = irq_arm(w->irq, l->item, l->n) == 0;
	if (armed) {
		bool timed_out = false;

		/* Frames may have come before the guest saw it may kick: look once more. */
		worker_pass(w, l, false, p);
		if (!p->moved && !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
			ctr_add(&w->irq_sleeps, 1);
			timed_out = irq_sleep(w->irq, (int)__atomic_load_n(&irq_sleep_ms,
									   __ATOMIC_RELAXED)) == 0;
		}
		irq_disarm(w->irq);
		if (timed_out)
			irq_misses_find(l);
	}
	__atomic_store_n(&w->armed, false, __ATOMIC_RELEASE);
	p->tsc = rte_rdtsc(); /* the sleep is nobody's busy time */
	return armed;
}

static bool worker_shares_cpu(unsigned int i)
{
	rte_cpuset_t mine = rte_lcore_cpuset(workers[i].lcore);

	for (unsigned int j = 0; j < nb_workers; j++) {
		rte_cpuset_t other = rte_lcore_cpuset(workers[j].lcore), both;

		CPU_AND(&both, &mine, &other);
		if (j != i && CPU_COUNT(&both))
			return true;
	}
	return false;
}

static int worker_main(void *arg)
{
	unsigned int empty = 0, sleep_us = IDLE_SLEEP_MIN_US;
	struct worker *w = arg;
	uint64_t spin_tsc = w->shares_cpu ? 0 : rte_get_tsc_hz() * IDLE_SPIN_US / 1000000;
	uint64_t silent_since = 0;
	struct pass pass = {.tsc = rte_rdtsc()};

	/* Sleeps end on time (the default slack is 50 us), so an idle worker wakes promptly. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	rte_rcu_qsbr_thread_register(qsv, w->tid);
	rte_rcu_qsbr_thread_online(qsv, w->tid);
	while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) {
		const struct work_list *l = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		unsigned int n = l->n;

		if (unlikely(__atomic_load_n(&w->stall, __ATOMIC_RELAXED))) {
			/* Test hook: a stuck worker (offline, so shutdown still works). */
			rte_rcu_qsbr_thread_offline(qsv, w->tid);
			while (!__atomic_load_n(&stopping, __ATOMIC_ACQUIRE))
				rte_pause();
			break;
		}
		__atomic_store_n(&w->heartbeat, w->heartbeat + 1, __ATOMIC_RELAXED);
		worker_pass(w, l, empty == 0, &pass);
		/* After this the list may be freed: nothing of it is read below. */
		rte_rcu_qsbr_quiescent(qsv, w->tid);
		if (likely(pass.moved)) {
			empty = 0;
			sleep_us = IDLE_SLEEP_MIN_US;
		} else if (n == 0) {
			worker_sleep(w, EMPTY_LIST_US);
			pass.tsc = rte_rdtsc();
		} else if (empty++ == 0) {
			silent_since = pass.tsc; /* the first pass without a frame */
		} else if (idle_max_us && empty > IDLE_SPIN_PASSES &&
			   pass.tsc - silent_since > spin_tsc) {
			/* The timed sleeps are done: interrupt mode, where all can wake us. */
			if (w->irq && sleep_us > idle_max_us && worker_doze(w, &pass))
				continue;
			worker_sleep(w, RTE_MIN(sleep_us, idle_max_us));
			/* Past idle_max_us once the longest sleep is done (interrupt mode). */
			sleep_us = sleep_us >= idle_max_us ? idle_max_us + 1 : sleep_us * 2;
			pass.tsc = rte_rdtsc(); /* the sleep is nobody's busy time */
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
		out[i].irq_sleeps = __atomic_load_n(&workers[i].irq_sleeps, __ATOMIC_RELAXED);
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
	LOCK_RULE(!engine_vring_lock_held(), "grace period awaited under a guest's vring locks "
					     "(rule 2)");
	if (unlikely(grace_delay_us))
		rte_delay_us_sleep(grace_delay_us);
	if (qsv) {
		/*
		 * Wait without spinning: rte_rcu_qsbr_synchronize() busy-waits, and a control
		 * thread spinning through a grace period takes its CPU from whatever shares it
		 * (a guest, in tests that map two workers onto one CPU: integ.moves).
		 */
		uint64_t token = rte_rcu_qsbr_start(qsv);
		bool woken[RTE_MAX_LCORE] = {false};

		/* Armed workers report no quiescent state until woken (worker_doze). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		while (!rte_rcu_qsbr_check(qsv, token, false)) {
			for (unsigned int i = 0; i < nb_workers; i++)
				if (!woken[i] &&
				    __atomic_load_n(&workers[i].armed, __ATOMIC_ACQUIRE)) {
					irq_wake(workers[i].irq);
					woken[i] = true;
				}
			rte_delay_us_sleep(GRACE_POLL_US);
		}
	}
}

void workers_wake(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the caller's change, then armed: worker_doze */
	for (unsigned int i = 0; workers && i < nb_workers; i++)
		if (__atomic_load_n(&workers[i].armed, __ATOMIC_ACQUIRE))
			irq_wake(workers[i].irq);
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

void workers_sample(void)
{
	for (unsigned int i = 0; i < nb_workers; i++) {
		struct worker *w = &workers[i];
		uint64_t busy = __atomic_load_n(&w->busy_cycles, __ATOMIC_RELAXED),
			 tsc = rte_rdtsc();

		if (w->tsc_seen && tsc > w->tsc_seen) {
			unsigned int pm = (unsigned int)RTE_MIN(
				(busy - w->busy_seen) * 1000 / (tsc - w->tsc_seen), 1000);

			w->busy_pm = (3 * w->busy_pm + pm) / 4;
		}
		w->busy_seen = busy;
		w->tsc_seen = tsc;
	}
}

/* The worker of lcore @cpu, or NULL. */
static struct worker *worker_on(int cpu)
{
	for (unsigned int i = 0; i < nb_workers; i++)
		if (workers[i].lcore == (unsigned int)cpu)
			return &workers[i];
	return NULL;
}

/*
 * The worker of lcore @cpu, or (@cpu < 0) relay_pick_worker()'s choice for a relay on NUMA
 * node @node: the least loaded of that node's workers (any worker's when it has none).
 */
static struct worker *worker_pick(int cpu, int node)
{
	struct relay_worker_view v[RTE_MAX_LCORE];
	int best;

	if (cpu >= 0)
		return worker_on(cpu);
	for (unsigned int i = 0; i < nb_workers; i++)
		v[i] = (struct relay_worker_view){workers[i].node, workers[i].busy_pm,
						  workers[i].load};
	best = relay_pick_worker(v, nb_workers, node);
	return best < 0 ? NULL : &workers[best];
}

int worker_attach(struct relay_dir *d, int cpu, int node)
{
	struct worker *w = worker_pick(cpu, node);
	struct work_list *nl;

	if (!w)
		return -EINVAL;
	nl = list_alloc(w->list->n + 1);
	if (!nl)
		return -ENOMEM;
	memcpy(nl->item, w->list->item, w->list->n * sizeof(nl->item[0]));
	nl->item[w->list->n] = d;
	d->qmask = 0; /* its guest queues are looked up again (the lanes may have changed) */
	d->nq = 0;
	d->cpu = (int)w->lcore;
	w->load++;
	list_publish(w, nl);
	return 0;
}

void worker_unpublish(struct relay_dir *d)
{
	struct worker *w = d->cpu >= 0 ? worker_on(d->cpu) : NULL;
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
}

void worker_detach(struct relay_dir *d)
{
	worker_unpublish(d);
	/* No worker sees @d now: the control thread drops what it held, as not connected. */
	dir_drop_held(d);
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
		workers[i].node = (int)rte_lcore_to_socket_id(c);
		workers[i].list = list_alloc(0);
		if (!workers[i].list) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	for (unsigned int i = 0; i < nb_workers && p->idle_irq && idle_max_us; i++) {
		workers[i].irq = irq_create();
		if (!workers[i].irq) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	for (unsigned int i = 0; i < nb_workers; i++) {
		workers[i].shares_cpu = worker_shares_cpu(i);
		if (workers[i].shares_cpu)
			VLOG(WARNING,
			     "worker lcore %u shares its CPU with another worker: no idle spin",
			     workers[i].lcore);
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
	workers_wake();
	for (unsigned int i = 0; workers && i < nb_workers; i++)
		rte_eal_wait_lcore(workers[i].lcore);
	for (unsigned int i = 0; workers && i < nb_workers; i++) {
		free(workers[i].list);
		irq_destroy(workers[i].irq);
	}
	rte_free(workers);
	rte_free(qsv);
	dir_drop_pool_free();
	workers = NULL;
	qsv = NULL;
	nb_workers = 0;
}
