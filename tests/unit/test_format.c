/* SPDX-License-Identifier: BSD-3-Clause */
/* test_format.c: the stats writer (stats/format.c): float spelling, flat key presence. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_fmt.h"
#include "virtioforwarder.pb-c.h"

static const char *py(double v)
{
	static char buf[64];

	stats_py_float(v, buf, sizeof(buf));
	return buf;
}

/* Expected strings are Python 3's repr() of the same doubles (float32 values widened). */
START_TEST(floats_as_python_prints_them)
{
	ck_assert_str_eq(py(0.0), "0.0");
	ck_assert_str_eq(py(10.0), "10.0"); /* not "1e+01" */
	ck_assert_str_eq(py(-2.5), "-2.5");
	ck_assert_str_eq(py(100000.0), "100000.0");
	ck_assert_str_eq(py(3000000000.0), "3000000000.0");
	ck_assert_str_eq(py((float)1234.5678), "1234.5677490234375");
	ck_assert_str_eq(py((float)0.1), "0.10000000149011612");
	ck_assert_str_eq(py((float)123456789.0), "123456792.0");
	ck_assert_str_eq(py((float)1e15), "999999986991104.0");
	ck_assert_str_eq(py((float)1e16), "1.0000000272564224e+16");
	ck_assert_str_eq(py((float)1e20), "1.0000000200408773e+20");
	ck_assert_str_eq(py((float)1e-5), "9.999999747378752e-06");
	ck_assert_str_eq(py((float)0.0001), "9.999999747378752e-05");
	ck_assert_str_eq(py(0.0001), "0.0001");
	ck_assert_str_eq(py(1e20), "1e+20");
	ck_assert_str_eq(py(1.5e-05), "1.5e-05");
	ck_assert_str_eq(py(1e16), "1e+16");
	ck_assert_str_eq(py(1e15), "1000000000000000.0");
}
END_TEST

/* A relay whose VF is there but no guest: vf_to_vm active, vm_to_vf not. */
static char *flat_of(Virtioforwarder__StatsResponse *resp, bool suppress)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	stats_format_write(f, resp, STATS_FMT_FLAT, suppress);
	fclose(f);
	return text;
}

START_TEST(flat_presence_as_the_reference)
{
	Virtioforwarder__StatsResponse resp = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
	Virtioforwarder__RelayState rs = VIRTIOFORWARDER__RELAY_STATE__INIT, *rp = &rs;
	Virtioforwarder__RelayState__VHOST vh = VIRTIOFORWARDER__RELAY_STATE__VHOST__INIT;
	Virtioforwarder__RelayState__CPU cpu = VIRTIOFORWARDER__RELAY_STATE__CPU__INIT;
	Virtioforwarder__RelayState__VFtoVM a = VIRTIOFORWARDER__RELAY_STATE__VFTO_VM__INIT;
	Virtioforwarder__RelayState__VMtoVF b = VIRTIOFORWARDER__RELAY_STATE__VMTO_VF__INIT;
	char *out;

	vh.vhost_socket_name = "/tmp/v/virtio-forwarder2.sock";
	cpu.has_vf_to_vm = 1, cpu.vf_to_vm = 1;
	a.active = 1, a.internal_state = "DPDK_ADDED";
	a.has_pkts_rx_from_vf = a.has_bytes_rx_from_vf = a.has_pkts_tx_to_vm = 1;
	a.has_bytes_tx_to_vm = a.has_pkts_dropped_vm_queue_full = 1;
	a.has_pkts_dropped_vm_not_connected = 1;
	a.pkts_rx_from_vf = 5, a.pkts_dropped_vm_not_connected = 5;
	a.pkt_rate_rx_from_vf = 10.0f;
	b.active = 0, b.internal_state = "VIRTIO_UNINIT";
	rs.id = 2, rs.vhost = &vh, rs.cpu = &cpu, rs.vf_to_vm = &a, rs.vm_to_vf = &b;
	resp.n_relay = 1, resp.relay = &rp;
	out = flat_of(&resp, false);
	ck_assert_str_eq(out, "relay_2.active=False\n"
			      "relay_2.cpu.vf_to_vm=1\n"
			      "relay_2.vhost.vhost_socket_name=/tmp/v/virtio-forwarder2.sock\n"
			      "relay_2.vf_to_vm.active=True\n"
			      "relay_2.vf_to_vm.internal_state=DPDK_ADDED\n"
			      "relay_2.vf_to_vm.cpu_1.pkts_rx_from_vf=5\n"
			      "relay_2.vf_to_vm.cpu_1.bytes_rx_from_vf=0\n"
			      "relay_2.vf_to_vm.cpu_1.pkts_tx_to_vm=0\n"
			      "relay_2.vf_to_vm.cpu_1.bytes_tx_to_vm=0\n"
			      "relay_2.vf_to_vm.cpu_1.pkt_rate_rx_from_vf=10.0\n"
			      "relay_2.vf_to_vm.cpu_1.byte_rate_rx_from_vf=0.0\n"
			      "relay_2.vf_to_vm.cpu_1.pkt_rate_tx_to_vm=0.0\n"
			      "relay_2.vf_to_vm.cpu_1.byte_rate_tx_to_vm=0.0\n"
			      "relay_2.vf_to_vm.cpu_1.pkts_dropped_vm_queue_full=0\n"
			      "relay_2.vf_to_vm.cpu_1.pkts_dropped_vm_not_connected=5\n"
			      "relay_2.vm_to_vf.active=False\n"
			      "relay_2.vm_to_vf.internal_state=VIRTIO_UNINIT\n"
			      "relay_2.vm_to_vf.pkt_rate_rx_from_vm=0.0\n"
			      "relay_2.vm_to_vf.byte_rate_rx_from_vm=0.0\n"
			      "relay_2.vm_to_vf.pkt_rate_tx_to_vf=0.0\n"
			      "relay_2.vm_to_vf.byte_rate_tx_to_vf=0.0\n");
	free(out);
	/* -z drops zero counters (and CPU numbers), never rates or booleans */
	cpu.vf_to_vm = 0;
	out = flat_of(&resp, true);
	ck_assert_ptr_null(strstr(out, "bytes_rx_from_vf"));
	ck_assert_ptr_null(strstr(out, "relay_2.cpu.vf_to_vm"));
	ck_assert_ptr_nonnull(strstr(out, "relay_2.vf_to_vm.cpu_0.pkts_rx_from_vf=5\n"));
	ck_assert_ptr_nonnull(strstr(out, "relay_2.vm_to_vf.byte_rate_tx_to_vf=0.0\n"));
	ck_assert_ptr_nonnull(strstr(out, "relay_2.active=False\n"));
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, floats_as_python_prints_them);
	tcase_add_test(tc, flat_presence_as_the_reference);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
