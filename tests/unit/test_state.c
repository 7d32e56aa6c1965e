/* SPDX-License-Identifier: BSD-3-Clause */
/* test_state.c: relay state machine, state names, socket pattern, PCI names (relay/state.c). */
#include "unit.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "relay_pure.h"

START_TEST(allowed_transitions)
{
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_NONE, RELAY_EV_UP), RELAY_SIDE_UP);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_UP, RELAY_EV_DOWN), RELAY_SIDE_REMOVING);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_REMOVING, RELAY_EV_GONE), RELAY_SIDE_NONE);
}
END_TEST

START_TEST(refused_transitions)
{
	/* A second guest on a connected relay, a VF added twice: refused. */
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_UP, RELAY_EV_UP), -EINVAL);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_REMOVING, RELAY_EV_UP), -EINVAL);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_NONE, RELAY_EV_DOWN), -EINVAL);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_REMOVING, RELAY_EV_DOWN), -EINVAL);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_NONE, RELAY_EV_GONE), -EINVAL);
	ck_assert_int_eq(relay_side_next(RELAY_SIDE_UP, RELAY_EV_GONE), -EINVAL);
}
END_TEST

START_TEST(reconnect_cycles)
{
	int s = RELAY_SIDE_NONE;

	for (int i = 0; i < 10; i++) {
		s = relay_side_next((enum relay_side)s, RELAY_EV_UP);
		ck_assert_int_eq(s, RELAY_SIDE_UP);
		s = relay_side_next((enum relay_side)s, RELAY_EV_DOWN);
		ck_assert_int_eq(s, RELAY_SIDE_REMOVING);
		s = relay_side_next((enum relay_side)s, RELAY_EV_GONE);
		ck_assert_int_eq(s, RELAY_SIDE_NONE);
	}
}
END_TEST

/* The reference's names (reference-behaviour.md 1.3), from the two sides together. */
START_TEST(reference_state_names)
{
	enum relay_side N = RELAY_SIDE_NONE, U = RELAY_SIDE_UP, R = RELAY_SIDE_REMOVING;

	ck_assert_str_eq(relay_vf_state_name(N, N), "DPDK_UNINIT");
	ck_assert_str_eq(relay_vf_state_name(N, U), "DPDK_UNINIT"); /* VM before its VF */
	ck_assert_str_eq(relay_vf_state_name(U, N), "DPDK_ADDED");
	ck_assert_str_eq(relay_vf_state_name(U, R), "DPDK_ADDED");
	ck_assert_str_eq(relay_vf_state_name(U, U), "DPDK_READY");
	ck_assert_str_eq(relay_vf_state_name(R, U), "DPDK_REMOVING1");
	ck_assert_str_eq(relay_vm_state_name(N), "VIRTIO_UNINIT");
	ck_assert_str_eq(relay_vm_state_name(U), "VIRTIO_READY");
	ck_assert_str_eq(relay_vm_state_name(R), "VIRTIO_REMOVING1");
	ck_assert(relay_active(U, U));
	ck_assert(!relay_active(U, N) && !relay_active(N, U) && !relay_active(R, U));
	ck_assert_str_eq(relay_event_name(RELAY_EV_UP), "up");
}
END_TEST

START_TEST(socket_pattern)
{
	char buf[64];

	ck_assert_int_eq(
		relay_socket_path("/tmp/vf", "virtio-forwarder%u.sock", 7, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/tmp/vf/virtio-forwarder7.sock");
	ck_assert_int_eq(relay_socket_path("/d", "%u", 63, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/d/63");
	ck_assert_int_eq(relay_socket_path("/d", "vm-%u-net", 0, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/d/vm-0-net");
	/* Exactly one %u, nothing else that looks like a conversion. */
	ck_assert_int_eq(relay_pattern_check("a.sock"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("%u%u"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("%s%u"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("%d"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("%u%"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("%n%u"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check("sub/%u"), -EINVAL);
	ck_assert_int_eq(relay_pattern_check(""), -EINVAL);
	ck_assert_int_eq(relay_socket_path("/d", "%x", 1, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(relay_socket_path("/a/very/long/directory/name/that/does/not/fit",
					   "virtio-forwarder%u.sock", 1, buf, sizeof(buf)),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(pci_names)
{
	char out[32];

	ck_assert(relay_pci_normalize("0000:02:08.0", out, sizeof(out)));
	ck_assert_str_eq(out, "0000:02:08.0");
	ck_assert(relay_pci_normalize("02:08.0", out, sizeof(out)));
	ck_assert_str_eq(out, "0000:02:08.0");
	ck_assert(relay_pci_normalize("0001:AF:1f.7", out, sizeof(out)));
	ck_assert_str_eq(out, "0001:af:1f.7");
	ck_assert(!relay_pci_normalize("net_tap0,iface=x", out, sizeof(out)));
	ck_assert(!relay_pci_normalize("02:20.0", out, sizeof(out))); /* slot > 0x1f */
	ck_assert(!relay_pci_normalize("02:08.8", out, sizeof(out))); /* function > 7 */
	ck_assert(!relay_pci_normalize("2:08.0", out, sizeof(out)));
	ck_assert(!relay_pci_normalize("000:02:08.0", out, sizeof(out)));
	ck_assert(!relay_pci_normalize("0000:02:08.0x", out, sizeof(out)));
	ck_assert(!relay_pci_normalize("net_pcap0,iface=a:b", out, sizeof(out)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, allowed_transitions);
	tcase_add_test(tc, refused_transitions);
	tcase_add_test(tc, reconnect_cycles);
	tcase_add_test(tc, reference_state_names);
	tcase_add_test(tc, socket_pattern);
	tcase_add_test(tc, pci_names);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
