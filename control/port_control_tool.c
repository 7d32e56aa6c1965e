/* SPDX-License-Identifier: BSD-3-Clause */
/* port_control_tool.c: virtioforwarder_port_control: add, remove, add_sock, remove_sock, query_pci.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "relay_pure.h"
#include "virtioforwarder.pb-c.h"

#define MAX_ADDRS 16

/* Long options only, as the reference tool has. */
enum { KEY_ID = 256, KEY_PCI, KEY_PATH, KEY_NAME, KEY_MODE, KEY_COND };

static const struct tool_opt opts[] = {
	{"virtio-id", KEY_ID, required_argument, "N", "relay id, 0..63"},
	{"pci-addr", KEY_PCI, required_argument, "ADDR",
	 "VF: dddd:bb:ss.f, bb:ss.f or a DPDK device string\n(repeat 2..8 times for a bond)"},
	{"vhost-path", KEY_PATH, required_argument, "P",
	 "vhost-user socket (add_sock, remove_sock, query_pci)"},
	{"name", KEY_NAME, required_argument, "NAME", "bond device name"},
	{"mode", KEY_MODE, required_argument, "0..6", "bond mode (default 1, active-backup)"},
	{"conditional", KEY_COND, no_argument, NULL,
	 "an identical existing relay (add) or a missing one\n(remove) is not an error"},
	{"zmq_ep", TOOL_KEY_EP, required_argument, "EP", "endpoint"},
	{"zmq-ep", TOOL_KEY_EP, required_argument, "EP", NULL},
};

static const char *const op_names[] = {"add", "remove", "add_sock", "remove_sock", "query_pci"};

struct args {
	Virtioforwarder__PortControlRequest rq;
	Virtioforwarder__PciAddress addrs[MAX_ADDRS];
	Virtioforwarder__PciAddress *addr_ptrs[MAX_ADDRS];
	char *devs[MAX_ADDRS];
};

static int on_opt(int key, const char *arg, void *ctx);
static int on_args(int argc, char **argv, void *ctx);

static const struct tool tool = {
	.prog = "virtioforwarder_port_control",
	.usage = "OP [options]",
	.summary = "Add or remove relays of a running virtio-forwarder.\n\n"
		   "OP: add | remove | add_sock | remove_sock | query_pci",
	.epilog = "Prints 'status: OK' and exits 0 on success (query_pci: the socket's VF, or\n"
		  "nothing when it has none); on failure prints status, error_code and\n"
		  "error_code_source as the reference does, the reason on stderr, and exits 1\n"
		  "(2: bad usage or no daemon).\n",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_PORT_CONTROL,
	.on_opt = on_opt,
	.on_args = on_args,
};

static int add_addr(struct args *a, const char *s)
{
	char pci[32];
	unsigned int d, b, sl, f;

	if (a->rq.n_pci_addrs + a->rq.n_device >= MAX_ADDRS) {
		tool_err(&tool, "too many --pci-addr (at most %d)", MAX_ADDRS);
		return -1;
	}
	if (relay_pci_normalize(s, pci, sizeof(pci)) &&
	    sscanf(pci, "%x:%x:%x.%x", &d, &b, &sl, &f) == 4) {
		Virtioforwarder__PciAddress *p = &a->addrs[a->rq.n_pci_addrs];

		virtioforwarder__pci_address__init(p);
		p->domain = d, p->bus = b, p->slot = sl, p->function = f;
		a->addr_ptrs[a->rq.n_pci_addrs++] = p;
	} else {
		a->devs[a->rq.n_device++] = (char *)s; /* a DPDK device string (argv) */
	}
	return 0;
}

static int on_opt(int key, const char *arg, void *ctx)
{
	struct args *a = ctx;
	unsigned long v;

	switch (key) {
	case KEY_ID:
		if (ctl_parse_uint(tool.prog, "--virtio-id", arg, 0xffffffffUL, &v))
			return -1;
		a->rq.has_virtio_id = 1, a->rq.virtio_id = (uint32_t)v;
		return 0;
	case KEY_PCI:
		return add_addr(a, arg);
	case KEY_PATH:
		a->rq.vhost_path = (char *)arg;
		return 0;
	case KEY_NAME:
		a->rq.name = (char *)arg;
		return 0;
	case KEY_MODE:
		if (ctl_parse_uint(tool.prog, "--mode", arg, 6, &v))
			return -1;
		a->rq.has_mode = 1, a->rq.mode = (uint32_t)v;
		return 0;
	case KEY_COND:
		a->rq.conditional = 1;
		return 0;
	}
	return -1;
}

static int on_args(int argc, char **argv, void *ctx)
{
	struct args *a = ctx;

	for (int i = 0; argc == 1 && i < 5; i++)
		if (!strcmp(argv[0], op_names[i])) {
			a->rq.op = (Virtioforwarder__PortControlRequest__Op)i;
			return 0;
		}
	tool_err(&tool, "give exactly one OP: add, remove, add_sock, remove_sock or query_pci "
			"(see --help)");
	return -1;
}

/*
 * As decided in compatibility.md: "status: OK" on success, query_pci the address alone (nothing
 * for a socket without a VF) so that $(...) captures it; a refusal the reference's way (text
 * format, then an empty line) on stdout, our reason in words on stderr.
 */
static int print_response(const Virtioforwarder__PortControlRequest *rq,
			  const Virtioforwarder__PortControlResponse *resp)
{
	if (resp->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK) {
		if (rq->op != VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI)
			printf("status: OK\n");
		else if (resp->query_string && resp->query_string[0])
			printf("%s\n", resp->query_string);
		return TOOL_OK;
	}
	printf("status: ERROR\n");
	if (resp->has_error_code)
		printf("error_code: %d\n", resp->error_code);
	if (resp->error_code_source)
		printf("error_code_source: \"%s\"\n", resp->error_code_source);
	printf("\n");
	if (resp->error_text && resp->error_text[0])
		tool_err(&tool, "%s", resp->error_text);
	return TOOL_REFUSED;
}

int main(int argc, char **argv)
{
	Virtioforwarder__PortControlResponse *resp;
	struct tool_common common;
	static struct args a;
	int status;

	virtioforwarder__port_control_request__init(&a.rq);
	a.rq.has_conditional = 1;
	a.rq.conditional = 0; /* like the reference tool: --conditional turns it on */
	a.rq.pci_addrs = a.addr_ptrs;
	a.rq.device = a.devs;
	status = tool_parse(&tool, argc, argv, &common, &a);
	if (status >= 0)
		return status;
	resp = (Virtioforwarder__PortControlResponse *)ctl_call(
		tool.prog, common.ep, &a.rq.base,
		&virtioforwarder__port_control_response__descriptor, common.timeout_ms, NULL, NULL);
	if (!resp)
		return TOOL_USAGE;
	status = print_response(&a.rq, resp);
	virtioforwarder__port_control_response__free_unpacked(resp, NULL);
	return status;
}
