/* SPDX-License-Identifier: BSD-3-Clause */
/* opts_write.c: what the option table writes: --help, the man page, the shipped default file. */
#include <getopt.h>
#include <stdio.h>

#include "opts_int.h"

void opts_usage(FILE *out)
{
	fprintf(out, "Usage: virtio-forwarder -C CPUS [options]\n"
		     "Relays packets between VFs (DPDK ports) and VMs (vhost-user sockets).\n\n");
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt *o = &opts[i];
		char left[64];

		if (!o->name)
			continue;
		int n = 0;

		if (o->key)
			n = snprintf(left, sizeof(left), "-%c, ", o->key);
		else
			n = snprintf(left, sizeof(left), "    ");
		snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s%s", o->name,
			 o->has_arg == optional_argument ? "[="
			 : o->has_arg			 ? " "
							 : "",
			 o->arg ? o->arg : "", o->has_arg == optional_argument ? "]" : "");
		fprintf(out, "  %-34s %s\n", left, o->help);
	}
}

/* Man page text around the generated option list (roff). */
static const char man_head[] =
	".TH VIRTIO-FORWARDER 8 \"\" \"virtio-forwarder " VFWD_VERSION
	"\" \"System Administration\"\n"
	".SH NAME\nvirtio-forwarder \\- relay packets between SR-IOV VFs and VMs' vhost-user "
	"sockets\n"
	".SH SYNOPSIS\n.B virtio-forwarder\n.B \\-C\n.I CPUS\n[\\fIOPTIONS\\fR]\n"
	".SH DESCRIPTION\n"
	"Each relay pairs one VF (a DPDK port: a PCI address probed by hot-plug, or any DPDK\n"
	"device string) with one vhost-user socket that a VM's virtio-net connects to.\n"
	"Relay \\fIN\\fR uses the socket \\fIvhost-path\\fR/\\fIpattern\\fR with %u replaced by\n"
	"\\fIN\\fR (default /tmp/virtio-forwarder/virtio-forwarderN.sock). Worker threads, one "
	"per\n"
	"CPU of \\fB\\-C\\fR, move packets both ways; the main lcore runs the control loop.\n"
	"Without \\fB\\-n\\fR the daemon forks and the parent exits once relays are set up.\n"
	".SH OPTIONS\n";
static const char man_tail[] =
	".SH SIGNALS\n"
	".TP\n.B SIGTERM, SIGINT\nStop workers, close VFs, remove server sockets and the pid file, "
	"exit 0.\n"
	".TP\n.B SIGUSR1\nLog every relay's state and counters.\n"
	".SH FILES\n"
	".TP\n.I /var/run/virtio-forwarder.pid\nLocked pid file: one daemon per pid directory.\n"
	".TP\n.I /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2\n"
	"DPDK telemetry: \\fB/virtio_forwarder/relays\\fR and \\fB/virtio_forwarder/relay,N\\fR\n"
	"(try \\fBdpdk-telemetry.py -f virtio-forwarder\\fR).\n"
	".SH EXAMPLE\n"
	".nf\nvirtio-forwarder -C 1,2 -P 0000:02:08.0=1 -u libvirt-qemu -g kvm\n"
	"virtio-forwarder -n -C 1 --no-huge -P net_tap0,iface=vf0=0\n.fi\n"
	".SH SEE ALSO\n.BR dpdk-testpmd (1)\n";

void opts_manpage(FILE *out)
{
	fputs(man_head, out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt *o = &opts[i];

		if (!o->name)
			continue;
		fputs(".TP\n", out);
		if (o->key)
			fprintf(out, "\\fB\\-%c\\fR, ", o->key);
		fprintf(out, "\\fB\\-\\-%s\\fR", o->name);
		if (o->arg)
			fprintf(out,
				o->has_arg == optional_argument ? "[=\\fI%s\\fR]" : " \\fI%s\\fR",
				o->arg);
		fprintf(out, "\n%s%s%s%s\n", o->help, o->env ? " (file key \\fB" : "",
			o->env ? o->env : "", o->env ? "\\fR)" : "");
	}
	fputs(".SH CONFIGURATION FILE\n"
	      "With \\fB\\-\\-config\\fR \\fIFILE\\fR (the service uses "
	      "/etc/default/virtioforwarder) the daemon reads KEY=value lines first; "
	      "options override them. Keys of the file only:\n",
	      out);
	for (size_t i = 0; i < opts_count; i++)
		if (!opts[i].name && opts[i].env)
			fprintf(out, ".TP\n\\fB%s\\fR\n%s\n", opts[i].env, opts[i].help);
	fputs(man_tail, out);
}

void opts_default_file(FILE *out)
{
	fputs("# /etc/default/virtioforwarder: configuration of the virtio-forwarder service.\n"
	      "# KEY=value; lists also as KEY=(a b c); flags: any non-blank value enables.\n"
	      "# Command-line options override these. Check a file with\n"
	      "#   virtio-forwarder --check-config /etc/default/virtioforwarder\n",
	      out);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt *o = &opts[i];

		if (!o->env)
			continue;
		fprintf(out, "\n# %s", o->help);
		if (o->name)
			fprintf(out, " (option --%s)", o->name);
		fprintf(out, "%s\n%s=%s\n", o->list ? "\n# A list: KEY=(a b c)." : "", o->env,
			o->dflt ? o->dflt : "");
	}
}
