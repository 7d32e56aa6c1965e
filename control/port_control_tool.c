/* SPDX-License-Identifier: BSD-3-Clause */
/* port_control_tool.c: virtioforwarder_port_control: add, remove, add_sock, remove_sock, query_pci.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "relay.h"
#include "virtioforwarder.pb-c.h"

#define PROG	  "virtioforwarder_port_control"
#define MAX_ADDRS 16

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " OP [options]\n"
		"Add or remove relays of a running virtio-forwarder.\n\n"
		"OP: add | remove | add_sock | remove_sock | query_pci\n"
		"  --virtio-id N       relay id, 0..63\n"
		"  --pci-addr ADDR     VF: dddd:bb:ss.f, bb:ss.f or a DPDK device string\n"
		"                      (repeat 2..8 times for a bond)\n"
		"  --vhost-path P      vhost-user socket (add_sock, remove_sock, query_pci)\n"
		"  --name NAME         bond device name\n"
		"  --mode 0..6         bond mode (default 1, active-backup)\n"
		"  --conditional       an identical existing relay (add) or a missing one\n"
		"                      (remove) is not an error\n"
		"  --zmq_ep EP         endpoint (default " CTL_EP_PORT_CONTROL ")\n"
		"  --timeout MS        how long to wait for the daemon (default %d)\n"
		"  -h, --help          this help\n"
		"Prints 'status: OK' and exits 0 on success; on failure prints status,\n"
		"error_code and error_code_source and exits 1 (2: bad usage or no daemon).\n",
		CTL_TIMEOUT_MS);
}

static const char *const op_names[] = {"add", "remove", "add_sock", "remove_sock", "query_pci"};

struct args {
	Virtioforwarder__PortControlRequest rq;
	Virtioforwarder__PciAddress addrs[MAX_ADDRS];
	Virtioforwarder__PciAddress *addr_ptrs[MAX_ADDRS];
	char *devs[MAX_ADDRS];
	const char *ep;
	int timeout;
};

static int add_addr(struct args *a, char *s)
{
	char pci[32];
	unsigned int d, b, sl, f;

	if (a->rq.n_pci_addrs + a->rq.n_device >= MAX_ADDRS) {
		fprintf(stderr, PROG ": too many --pci-addr (at most %d)\n", MAX_ADDRS);
		return -1;
	}
	if (relay_pci_normalize(s, pci, sizeof(pci)) &&
	    sscanf(pci, "%x:%x:%x.%x", &d, &b, &sl, &f) == 4) {
		Virtioforwarder__PciAddress *p = &a->addrs[a->rq.n_pci_addrs];

		virtioforwarder__pci_address__init(p);
		p->domain = d, p->bus = b, p->slot = sl, p->function = f;
		a->addr_ptrs[a->rq.n_pci_addrs++] = p;
	} else {
		a->devs[a->rq.n_device++] = s; /* a DPDK device string */
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lopts[] = {{"virtio-id", required_argument, NULL, 'i'},
					      {"pci-addr", required_argument, NULL, 'p'},
					      {"vhost-path", required_argument, NULL, 'v'},
					      {"name", required_argument, NULL, 'n'},
					      {"mode", required_argument, NULL, 'm'},
					      {"conditional", no_argument, NULL, 'c'},
					      {"zmq_ep", required_argument, NULL, 'z'},
					      {"zmq-ep", required_argument, NULL, 'z'},
					      {"timeout", required_argument, NULL, 't'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	unsigned long v;
	int c, op = -1;

	virtioforwarder__port_control_request__init(&a->rq);
	a->rq.has_conditional = 1;
	a->rq.conditional = 0; /* like the reference tool: --conditional turns it on */
	a->ep = CTL_EP_PORT_CONTROL;
	a->timeout = CTL_TIMEOUT_MS;
	a->rq.pci_addrs = a->addr_ptrs;
	a->rq.device = a->devs;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (ctl_parse_uint(PROG, "--virtio-id", optarg, 0xffffffffUL, &v))
				return -1;
			a->rq.has_virtio_id = 1, a->rq.virtio_id = (uint32_t)v;
			break;
		case 'p':
			if (add_addr(a, optarg))
				return -1;
			break;
		case 'v':
			a->rq.vhost_path = optarg;
			break;
		case 'n':
			a->rq.name = optarg;
			break;
		case 'm':
			if (ctl_parse_uint(PROG, "--mode", optarg, 6, &v))
				return -1;
			a->rq.has_mode = 1, a->rq.mode = (uint32_t)v;
			break;
		case 'c':
			a->rq.conditional = 1;
			break;
		case 'z':
			a->ep = optarg;
			break;
		case 't':
			if (ctl_parse_uint(PROG, "--timeout", optarg, 3600000, &v))
				return -1;
			a->timeout = (int)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, PROG ": bad option (see --help)\n");
			return -1;
		}
	}
	for (int i = 0; optind < argc && i < 5; i++)
		if (!strcmp(argv[optind], op_names[i]))
			op = i;
	if (optind != argc - 1 || op < 0) {
		fprintf(stderr, PROG ": give exactly one OP: add, remove, add_sock, remove_sock or "
				     "query_pci (see --help)\n");
		return -1;
	}
	a->rq.op = (Virtioforwarder__PortControlRequest__Op)op;
	return 0;
}

int main(int argc, char **argv)
{
	Virtioforwarder__PortControlResponse *resp;
	static struct args a;
	int status;

	if (parse_args(argc, argv, &a))
		return 2;
	resp = (Virtioforwarder__PortControlResponse *)ctl_call(
		PROG, a.ep, &a.rq.base, &virtioforwarder__port_control_response__descriptor,
		a.timeout, NULL, NULL);
	if (!resp)
		return 2;
	if (resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK) {
		printf("status: OK\n");
		if (resp->query_string)
			printf("%s\n", resp->query_string);
		status = 0;
	} else {
		printf("status: ERROR\nerror_code: %d\nerror_code_source: \"%s\"\n",
		       resp->has_error_code ? resp->error_code : 0,
		       resp->error_code_source ? resp->error_code_source : "");
		status = 1;
	}
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	return status;
}
