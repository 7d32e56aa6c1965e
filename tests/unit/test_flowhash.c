/* SPDX-License-Identifier: BSD-3-Clause */
/* test_flowhash.c: software RSS flow hash and queue pick (relay/flowhash.c). */
#include "unit.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "relay_pure.h"

/* A frame builder: Ethernet (+ optional VLAN), IPv4 or IPv6, L4 ports. */
struct frame {
	uint8_t b[128];
	uint32_t len;
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t eth(struct frame *f, uint32_t type, int vlan)
{
	uint32_t off = 12;

	memset(f, 0, sizeof(*f));
	memcpy(f->b, "\x52\x54\x00\x12\x34\x56\x02\x00\x00\x00\x00\x01", 12);
	if (vlan) {
		put16(f->b + off, 0x8100);
		put16(f->b + off + 2, (uint32_t)vlan);
		off += 4;
	}
	put16(f->b + off, type);
	return off + 2;
}

static void ipv4(struct frame *f, int vlan, uint8_t proto, uint32_t src, uint16_t sport,
		 uint16_t dport, uint16_t frag)
{
	uint32_t off = eth(f, 0x0800, vlan);
	uint8_t *ip = f->b + off;

	ip[0] = 0x45;
	put16(ip + 6, frag);
	ip[9] = proto;
	memcpy(ip + 12, (uint8_t[]){10, 0, (uint8_t)(src >> 8), (uint8_t)src}, 4);
	memcpy(ip + 16, (uint8_t[]){10, 0, 0, 2}, 4);
	put16(ip + 20, sport);
	put16(ip + 22, dport);
	ip[24] = 0xaa; /* payload that must not matter */
	f->len = off + 28;
}

static void ipv6(struct frame *f, uint8_t proto, uint8_t src_last, uint16_t sport)
{
	uint32_t off = eth(f, 0x86dd, 0);
	uint8_t *ip = f->b + off;

	ip[0] = 0x60;
	ip[6] = proto;
	ip[8] = 0xfd;
	ip[23] = src_last;
	ip[24] = 0xfd;
	ip[39] = 2;
	put16(ip + 40, sport);
	put16(ip + 42, 80);
	f->len = off + 48;
}

static uint32_t hash(const struct frame *f)
{
	return relay_flow_hash(f->b, f->len);
}

START_TEST(same_flow_same_hash)
{
	struct frame a, b;

	ipv4(&a, 0, 17, 1, 1000, 53, 0);
	ipv4(&b, 0, 17, 1, 1000, 53, 0);
	b.b[40] = 0x55; /* payload differs */
	b.len += 20;
	ck_assert_uint_eq(hash(&a), hash(&b));
	/* Source MAC does not matter for IP flows. */
	b.b[11] = 9;
	ck_assert_uint_eq(hash(&a), hash(&b));
}
END_TEST

START_TEST(l4_ports_matter)
{
	struct frame a, b;

	ipv4(&a, 0, 6, 1, 1000, 80, 0);
	ipv4(&b, 0, 6, 1, 1001, 80, 0);
	ck_assert_uint_ne(hash(&a), hash(&b));
	ipv4(&b, 0, 6, 1, 1000, 81, 0);
	ck_assert_uint_ne(hash(&a), hash(&b));
	ipv4(&b, 0, 6, 2, 1000, 80, 0);
	ck_assert_uint_ne(hash(&a), hash(&b));
	/* Protocol is part of the tuple. */
	ipv4(&b, 0, 17, 1, 1000, 80, 0);
	ck_assert_uint_ne(hash(&a), hash(&b));
}
END_TEST

START_TEST(icmp_and_fragments_hash_on_addresses)
{
	struct frame a, b;

	/* ICMP: the bytes where ports would be are ignored. */
	ipv4(&a, 0, 1, 1, 1000, 80, 0);
	ipv4(&b, 0, 1, 1, 2000, 90, 0);
	ck_assert_uint_eq(hash(&a), hash(&b));
	/* All fragments of a datagram (first: MF set, later: offset) go to one queue. */
	ipv4(&a, 0, 17, 1, 1000, 80, 0x2000);
	ipv4(&b, 0, 17, 1, 7777, 7777, 0x00b9);
	ck_assert_uint_eq(hash(&a), hash(&b));
}
END_TEST

START_TEST(vlan_tag_skipped)
{
	struct frame a, b, c;

	ipv4(&a, 0, 17, 1, 1000, 53, 0);
	ipv4(&b, 100, 17, 1, 1000, 53, 0);
	ipv4(&c, 100, 17, 1, 1001, 53, 0);
	ck_assert_uint_eq(hash(&a), hash(&b));
	ck_assert_uint_ne(hash(&b), hash(&c));
}
END_TEST

START_TEST(ipv6_tuple)
{
	struct frame a, b;

	ipv6(&a, 17, 1, 1000);
	ipv6(&b, 17, 1, 1000);
	ck_assert_uint_eq(hash(&a), hash(&b));
	ipv6(&b, 17, 2, 1000);
	ck_assert_uint_ne(hash(&a), hash(&b));
	ipv6(&b, 17, 1, 1001);
	ck_assert_uint_ne(hash(&a), hash(&b));
	ipv6(&a, 58, 1, 1000); /* ICMPv6: addresses only */
	ipv6(&b, 58, 1, 4242);
	ck_assert_uint_eq(hash(&a), hash(&b));
}
END_TEST

START_TEST(l2_fallback)
{
	struct frame a, b;

	eth(&a, 0x0806, 0); /* ARP */
	a.len = 60;
	a.b[30] = 1;
	b = a;
	b.b[30] = 2; /* ARP body does not matter */
	ck_assert_uint_eq(hash(&a), hash(&b));
	b.b[11] = 7; /* another source MAC */
	ck_assert_uint_ne(hash(&a), hash(&b));
}
END_TEST

/* Hash every prefix of @f from a buffer of exactly that size (valgrind/ASan see overreads). */
static void hash_prefixes(const struct frame *f)
{
	for (uint32_t n = 0; n <= f->len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, f->b, n);
		(void)relay_flow_hash(copy, n);
		free(copy);
	}
}

START_TEST(truncated_frames_are_safe)
{
	struct frame a, b;

	ipv4(&a, 100, 6, 1, 1000, 80, 0);
	hash_prefixes(&a);
	ipv6(&a, 6, 1, 1000);
	hash_prefixes(&a);
	/* A frame cut inside the L4 header hashes on addresses only: ports unread. */
	ipv4(&a, 0, 17, 1, 1000, 53, 0);
	ipv4(&b, 0, 17, 1, 2000, 53, 0);
	ck_assert_uint_eq(relay_flow_hash(a.b, 14 + 22), relay_flow_hash(b.b, 14 + 22));
	ck_assert_uint_ne(relay_flow_hash(a.b, a.len), relay_flow_hash(b.b, b.len));
}
END_TEST

START_TEST(spreads_evenly)
{
	/* 1024 UDP flows over 4 and 3 queues: each queue within 25 % of its share. */
	unsigned int count[4] = {0}, count3[3] = {0};
	struct frame f;

	for (unsigned int i = 0; i < 1024; i++) {
		ipv4(&f, 0, 17, i & 31, (uint16_t)(1024 + (i >> 5)), 4789, 0);
		count[relay_hash_pick(hash(&f), 4)]++;
		count3[relay_hash_pick(hash(&f), 3)]++;
	}
	for (int q = 0; q < 4; q++)
		ck_assert_msg(count[q] > 192 && count[q] < 320, "queue %d of 4 got %u", q,
			      count[q]);
	for (int q = 0; q < 3; q++)
		ck_assert_msg(count3[q] > 256 && count3[q] < 427, "queue %d of 3 got %u", q,
			      count3[q]);
	/* Eight flows (the e2e scenario) reach at least 3 of 4 queues. */
	memset(count, 0, sizeof(count));
	for (unsigned int i = 0; i < 8; i++) {
		ipv4(&f, 0, 1, 10 + i, 0, 0, 0);
		count[relay_hash_pick(hash(&f), 4)]++;
	}
	ck_assert_int_ge(!!count[0] + !!count[1] + !!count[2] + !!count[3], 3);
}
END_TEST

START_TEST(pick_bounds)
{
	ck_assert_uint_eq(relay_hash_pick(0, 4), 0);
	ck_assert_uint_eq(relay_hash_pick(UINT32_MAX, 4), 3);
	ck_assert_uint_eq(relay_hash_pick(UINT32_MAX, 1), 0);
	ck_assert_uint_eq(relay_hash_pick(UINT32_MAX, 64), 63);
	ck_assert_uint_eq(relay_hash_pick(0x80000000u, 2), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flowhash");
	TCase *tc = tcase_create("flowhash");

	tcase_add_test(tc, same_flow_same_hash);
	tcase_add_test(tc, l4_ports_matter);
	tcase_add_test(tc, icmp_and_fragments_hash_on_addresses);
	tcase_add_test(tc, vlan_tag_skipped);
	tcase_add_test(tc, ipv6_tuple);
	tcase_add_test(tc, l2_fallback);
	tcase_add_test(tc, truncated_frames_are_safe);
	tcase_add_test(tc, spreads_evenly);
	tcase_add_test(tc, pick_bounds);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
