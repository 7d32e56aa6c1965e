/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen.c: vfwd-gen, the benchmark's traffic generator and sink on one DPDK port (port 0, e.g.
 * net_memif): UDP frames over N flows at a fixed rate (TSC paced) or as fast as the port
 * takes them, each carrying a sequence number and its TSC send time; what comes back is
 * counted, checked for loss and per-flow order, and timed (latency percentiles). One lcore
 * does everything, so its own load is known: it reports the share of its cycles it had to
 * spare (headroom) and how often the port refused frames. Paced, it sleeps when the next
 * burst is more than 100 us away, so that a guest sharing its CPU gets it.
 *
 *   vfwd-gen EAL-ARGS -- [--mode pvp|tx|rx] [--rate PPS] [--duration S] [--size B]
 *                        [--flows N] [--drain-ms MS] [--rx-pause-us US] [--burst N]
 *                        [--max-sleep-us US] [--queues N]
 * --burst: frames per transmit (default 32); --max-sleep-us: paced, never sleep longer at a
 * time, so that what comes back is timed within about that much (first-frame latency).
 * --spin: never sleep. --queues: queue pairs on port 0 (1..8); flow f is sent on queue
 * f mod N (each flow keeps its order), every queue is received.
 * A second port (e.g. virtio_user on the relay's socket) is an in-process guest: what it
 * receives it sends back at once, on the same lcore. Then one process on one CPU is both ends
 * of PVP (port 0 -> relay -> port 1 -> relay -> port 0) with no third poller on the machine,
 * and latency is timed by one TSC.
 * Output: key=value lines on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define BURST	   32
#define MAX_FLOWS  4096
#define MAX_QUEUES 8
#define MAGIC	   0x7f5a
#define HDR_LEN	   (RTE_ETHER_HDR_LEN + 20 + 8)
#define NB_BUCKETS (64 * 8) /* latency: 8 linear steps per power of two of nanoseconds */

struct payload {
	uint16_t magic;
	uint64_t seq;
	uint64_t tsc;
} __attribute__((packed));

enum mode { MODE_PVP, MODE_TX, MODE_RX };

static struct {
	enum mode mode;
	uint64_t rate; /* frames per second, 0: as fast as the port takes them */
	double duration;
	unsigned int size; /* frame length without FCS + 4, as RFC 2544 counts */
	unsigned int flows;
	unsigned int drain_ms;
	unsigned int rx_pause_us;  /* a slow consumer: pause after each received burst */
	unsigned int burst;	   /* frames per transmit */
	unsigned int max_sleep_us; /* 0: sleep until the next batch is due */
	bool spin;		   /* never sleep */
	bool guest;		   /* port 1 is an in-process guest echoing what it receives */
	unsigned int queues;	   /* queue pairs of port 0 */
} cfg = {MODE_PVP, 0, 10.0, 64, 1, 500, 0, BURST, 0, false, false, 1};

static struct {
	uint64_t sent, refused, received, foreign, reordered, bytes_rx, echoed, echo_refused;
	uint64_t busy_cycles, total_cycles;
	uint64_t last_seq[MAX_FLOWS];
	uint64_t lat[NB_BUCKETS];
	uint64_t lat_max_ns;
} st;

static uint8_t tmpl[RTE_ETHER_MAX_LEN];

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {{"mode", required_argument, NULL, 'm'},
					   {"rate", required_argument, NULL, 'r'},
					   {"duration", required_argument, NULL, 'd'},
					   {"size", required_argument, NULL, 's'},
					   {"flows", required_argument, NULL, 'f'},
					   {"drain-ms", required_argument, NULL, 'w'},
					   {"rx-pause-us", required_argument, NULL, 'p'},
					   {"burst", required_argument, NULL, 'b'},
					   {"max-sleep-us", required_argument, NULL, 'S'},
					   {"spin", no_argument, NULL, 'x'},
					   {"queues", required_argument, NULL, 'q'},
					   {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			cfg.mode = !strcmp(optarg, "tx")   ? MODE_TX
				   : !strcmp(optarg, "rx") ? MODE_RX
							   : MODE_PVP;
			if (cfg.mode == MODE_PVP && strcmp(optarg, "pvp"))
				return -EINVAL;
			break;
		case 'r':
			cfg.rate = strtoull(optarg, NULL, 10);
			break;
		case 'd':
			cfg.duration = atof(optarg);
			break;
		case 's':
			cfg.size = (unsigned int)atoi(optarg);
			break;
		case 'f':
			cfg.flows = (unsigned int)atoi(optarg);
			break;
		case 'w':
			cfg.drain_ms = (unsigned int)atoi(optarg);
			break;
		case 'p':
			cfg.rx_pause_us = (unsigned int)atoi(optarg);
			break;
		case 'b':
			cfg.burst = (unsigned int)atoi(optarg);
			break;
		case 'S':
			cfg.max_sleep_us = (unsigned int)atoi(optarg);
			break;
		case 'x':
			cfg.spin = true;
			break;
		case 'q':
			cfg.queues = (unsigned int)atoi(optarg);
			break;
		default:
			return -EINVAL;
		}
	}
	if (cfg.size < 64 || cfg.size > RTE_ETHER_MAX_LEN || cfg.flows < 1 ||
	    cfg.flows > MAX_FLOWS || cfg.duration <= 0 || cfg.burst < 1 || cfg.burst > BURST ||
	    cfg.queues < 1 || cfg.queues > MAX_QUEUES)
		return -EINVAL;
	return 0;
}

/* Ethernet + IPv4 + UDP towards a fixed pair; the flow picks the UDP source port. */
static void template_build(void)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t len = (uint16_t)(cfg.size - 4);

	memset(tmpl, 0, sizeof(tmpl));
	memcpy(eth->dst_addr.addr_bytes, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(eth->src_addr.addr_bytes, "\x02\x00\x00\x00\x00\x01", 6);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120001); /* 198.18.0.1: RFC 2544's range */
	ip->dst_addr = rte_cpu_to_be_32(0xc6130001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN - 20));
}

static unsigned int fill_burst(struct rte_mempool *mp, struct rte_mbuf **m, unsigned int n,
			       uint64_t *seq)
{
	uint16_t len = (uint16_t)(cfg.size - 4);
	uint64_t now = rte_rdtsc();

	if (rte_pktmbuf_alloc_bulk(mp, m, n))
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *d = rte_pktmbuf_mtod(m[i], uint8_t *);
		struct payload *p = (struct payload *)(d + HDR_LEN);
		uint64_t s = (*seq)++;

		memcpy(d, tmpl, HDR_LEN);
		((struct rte_udp_hdr *)(d + HDR_LEN - 8))->src_port =
			rte_cpu_to_be_16((uint16_t)(1024 + s % cfg.flows));
		p->magic = MAGIC;
		p->seq = s;
		p->tsc = now;
		m[i]->data_len = m[i]->pkt_len = len;
	}
	return n;
}

static unsigned int bucket_of(uint64_t ns)
{
	unsigned int msb, sub;

	if (ns < 8)
		return (unsigned int)ns;
	msb = 63u - (unsigned int)__builtin_clzll(ns);
	sub = (unsigned int)(ns >> (msb - 3)) & 7;
	return RTE_MIN((msb - 2) * 8 + sub, NB_BUCKETS - 1u);
}

static uint64_t bucket_ns(unsigned int b)
{
	unsigned int msb = b / 8 + 2, sub = b % 8;

	return b < 8 ? b : ((uint64_t)(8 + sub) << (msb - 3));
}

static void account_rx(struct rte_mbuf **m, unsigned int n, uint64_t hz)
{
	uint64_t now = rte_rdtsc();

	for (unsigned int i = 0; i < n; i++) {
		const struct payload *p;
		uint64_t ns, flow;

		st.bytes_rx += m[i]->pkt_len;
		if (m[i]->data_len < HDR_LEN + sizeof(*p)) {
			st.foreign++;
			continue;
		}
		p = rte_pktmbuf_mtod_offset(m[i], const struct payload *, HDR_LEN);
		if (p->magic != MAGIC) {
			st.foreign++;
			continue;
		}
		st.received++;
		flow = p->seq % cfg.flows;
		if (p->seq + 1 < st.last_seq[flow])
			st.reordered++;
		else
			st.last_seq[flow] = p->seq + 1;
		ns = (now - p->tsc) * 1000000000ull / hz;
		st.lat[bucket_of(ns)]++;
		st.lat_max_ns = RTE_MAX(st.lat_max_ns, ns);
	}
	rte_pktmbuf_free_bulk(m, n);
}

static double percentile(double q)
{
	uint64_t n = 0, want;

	for (unsigned int b = 0; b < NB_BUCKETS; b++)
		n += st.lat[b];
	if (!n)
		return 0;
	want = (uint64_t)(q * (double)n);
	for (unsigned int b = 0, seen = 0; b < NB_BUCKETS; b++) {
		seen += (unsigned int)st.lat[b];
		if (seen > want)
			return (double)bucket_ns(b) / 1000.0;
	}
	return (double)st.lat_max_ns / 1000.0;
}

/*
 * Send @k frames whose first has sequence number @s0, each on its flow's queue; returns how
 * many the port took. Refused frames are freed (a gap in their flows, not a reorder).
 */
static unsigned int send_spread(struct rte_mbuf **m, unsigned int k, uint64_t s0)
{
	struct rte_mbuf *q[MAX_QUEUES][BURST];
	unsigned int nq[MAX_QUEUES] = {0}, sent = 0;

	for (unsigned int i = 0; i < k; i++) {
		unsigned int qi = (unsigned int)((s0 + i) % cfg.flows % cfg.queues);

		q[qi][nq[qi]++] = m[i];
	}
	for (unsigned int i = 0; i < cfg.queues; i++) {
		uint16_t s = nq[i] ? rte_eth_tx_burst(0, (uint16_t)i, q[i], (uint16_t)nq[i]) : 0;

		if (s < nq[i])
			rte_pktmbuf_free_bulk(q[i] + s, nq[i] - s);
		sent += s;
	}
	return sent;
}

/* Send (unless rx mode) for the duration, receive all along and through the drain time. */
static void run(struct rte_mempool *mp)
{
	uint64_t hz = rte_get_tsc_hz(), start = rte_rdtsc(), seq = 0;
	uint64_t stop = start + (uint64_t)(cfg.duration * (double)hz);
	uint64_t drain_end = stop + (uint64_t)cfg.drain_ms * hz / 1000;
	/* Paced: bursts in batches about 200 us apart (at most 16 bursts), so that it can sleep. */
	unsigned int batch =
		cfg.rate ? RTE_MIN(RTE_MAX((unsigned int)(cfg.rate / 5000 / cfg.burst), 1u), 16u)
			 : 1;
	uint64_t step = cfg.rate ? hz * cfg.burst * batch / cfg.rate : 0, next = start;
	/* 100 us: shorter waits are spun (with a sleep cap, waits longer than it are slept) */
	uint64_t sleep_min = cfg.max_sleep_us ? RTE_MIN(hz / 10000, hz * cfg.max_sleep_us / 1000000)
					      : hz / 10000;
	struct rte_mbuf *m[BURST];

	for (uint64_t now = start; now < drain_end; now = rte_rdtsc()) {
		bool busy = false;

		for (uint16_t q = 0; q < cfg.queues; q++) {
			uint16_t n = rte_eth_rx_burst(0, q, m, BURST);

			if (n) {
				account_rx(m, n, hz);
				busy = true;
				if (cfg.rx_pause_us)
					rte_delay_us_sleep(cfg.rx_pause_us);
			}
		}
		if (cfg.guest) {
			uint16_t g = rte_eth_rx_burst(1, 0, m, BURST), e;

			if (g) {
				e = rte_eth_tx_burst(1, 0, m, g);
				st.echoed += e;
				st.echo_refused += g - e;
				if (e < g)
					rte_pktmbuf_free_bulk(m + e, g - e);
				busy = true;
			}
		}
		if (cfg.mode != MODE_RX && now < stop && (!step || now >= next)) {
			for (unsigned int b = 0; b < batch; b++) {
				uint64_t s0 = seq;
				unsigned int k = fill_burst(mp, m, cfg.burst, &seq), sent;

				if (cfg.queues > 1) {
					sent = send_spread(m, k, s0);
				} else {
					sent = rte_eth_tx_burst(0, 0, m, (uint16_t)k);
					if (sent < k)
						rte_pktmbuf_free_bulk(m + sent, k - sent);
					seq -= k -
					       sent; /* refused frames were never sent: no gap */
				}
				st.sent += sent;
				st.refused += k - sent;
				busy = busy || sent;
			}
			next += step;
		}
		if (busy) {
			st.busy_cycles += rte_rdtsc() - now;
		} else if (step && !cfg.spin && next > now + sleep_min) {
			/* Paced and early: give the CPU away (a guest may share it). */
			uint64_t us = (next - now - sleep_min / 2) * 1000000 / hz;

			if (cfg.max_sleep_us)
				us = RTE_MIN(us, (uint64_t)cfg.max_sleep_us);
			rte_delay_us_sleep((unsigned int)us);
		}
	}
	st.total_cycles = rte_rdtsc() - start;
}

static bool link_up(void)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(0, &link) == 0 && link.link_status;
}

static int port_setup(uint16_t port, struct rte_mempool *mp, uint16_t nq)
{
	struct rte_eth_conf conf = {0};

	if (rte_eth_dev_configure(port, nq, nq, &conf))
		return -1;
	for (uint16_t q = 0; q < nq; q++)
		if (rte_eth_rx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port), NULL, mp) ||
		    rte_eth_tx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port), NULL))
			return -1;
	return rte_eth_dev_start(port);
}

int main(int argc, char **argv)
{
	struct rte_mempool *mp;
	char line[16];
	int n = rte_eal_init(argc, argv);

	if (n < 0 || parse_args(argc - n, argv + n)) {
		fprintf(stderr,
			"usage: vfwd-gen EAL-ARGS -- [--mode pvp|tx|rx] [--rate PPS] "
			"[--duration S] [--size 64..1518] [--flows 1..4096] [--drain-ms MS] "
			"[--rx-pause-us US] [--burst 1..32] [--max-sleep-us US] [--spin] "
			"[--queues 1..8]\n");
		return 2;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "vfwd-gen: no port (give --vdev net_memif0,...)\n");
		return 2;
	}
	template_build();
	if (cfg.max_sleep_us) /* wake on time: the default slack is 50 us */
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	mp = rte_pktmbuf_pool_create("gen", 4095 + 4096 * cfg.queues, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	cfg.guest = rte_eth_dev_count_avail() > 1;
	if (!mp || port_setup(0, mp, (uint16_t)cfg.queues) || (cfg.guest && port_setup(1, mp, 1))) {
		fprintf(stderr, "vfwd-gen: port set-up failed\n");
		return 1;
	}
	/*
	 * "listening": the port is started, a memif client may connect now (before, the server
	 * refuses it with "ID not found" and the client gives up). "ready": the link is up.
	 * Then the bench connects the guest and says "go".
	 */
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < 200 && !link_up(); i++)
		rte_delay_ms(50);
	printf("%s\n", link_up() ? "ready" : "no-link");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) /* a line or EOF: go */
		line[0] = '\0';
	run(mp);
	printf("mode=%s\nrate_offered=%" PRIu64 "\nsize=%u\nflows=%u\nduration=%.3f\n",
	       cfg.mode == MODE_PVP  ? "pvp"
	       : cfg.mode == MODE_TX ? "tx"
				     : "rx",
	       cfg.rate, cfg.size, cfg.flows, cfg.duration);
	printf("sent=%" PRIu64 "\nrefused=%" PRIu64 "\nreceived=%" PRIu64 "\nforeign=%" PRIu64
	       "\nreordered=%" PRIu64 "\n",
	       st.sent, st.refused, st.received, st.foreign, st.reordered);
	printf("echoed=%" PRIu64 "\necho_refused=%" PRIu64 "\n", st.echoed, st.echo_refused);
	printf("lost=%" PRId64 "\n", cfg.mode == MODE_PVP ? (int64_t)(st.sent - st.received) : 0);
	printf("tx_mpps=%.3f\nrx_mpps=%.3f\n", (double)st.sent / cfg.duration / 1e6,
	       (double)(st.received + st.foreign) / cfg.duration / 1e6);
	printf("lat_p50_us=%.2f\nlat_p99_us=%.2f\nlat_p999_us=%.2f\nlat_max_us=%.2f\n",
	       percentile(0.5), percentile(0.99), percentile(0.999),
	       (double)st.lat_max_ns / 1000.0);
	printf("gen_headroom_pct=%.1f\n",
	       st.total_cycles ? 100.0 - 100.0 * (double)st.busy_cycles / (double)st.total_cycles
			       : 0.0);
	for (uint16_t p = 0; p < (cfg.guest ? 2 : 1); p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	rte_eal_cleanup();
	return 0;
}
