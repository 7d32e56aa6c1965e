/* SPDX-License-Identifier: BSD-3-Clause */
/* tool.c: the frame of every virtioforwarder_* tool: common options, --help, --version, errors. */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"

#define TOOL_OPTS_MAX	 32
#define KEY_TIMEOUT	 0x1001
#define KEY_VERSION	 0x1002
#define KEY_HELP	 'h'
#define TOOL_TIMEOUT_MAX 3600000 /* ms: an hour */

/* The options every tool has, after its own. */
static const struct tool_opt common_opts[] = {
	{"timeout", KEY_TIMEOUT, required_argument, "MS",
	 "how long to wait for the daemon's answer (default 2000)"},
	{"help", KEY_HELP, no_argument, NULL, "print this help and exit"},
	{"version", KEY_VERSION, no_argument, NULL, "print the version and exit"},
};
#define NB_COMMON (sizeof(common_opts) / sizeof(common_opts[0]))

void tool_err(const struct tool *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", t->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_parse_seconds(const struct tool *t, const char *opt, const char *arg, double *v)
{
	char *end;

	*v = strtod(arg, &end);
	if (end == arg || *end || !(*v >= 0.1 && *v <= 3600)) {
		tool_err(t, "%s: '%s' is not 0.1 to 3600 seconds", opt, arg);
		return -1;
	}
	return 0;
}

static const struct tool_opt *opt_at(const struct tool *t, unsigned int i)
{
	return i < t->nb_opts ? &t->opts[i] : &common_opts[i - t->nb_opts];
}

/* Does option @key have a short form (a letter or digit)? Keys from 256 are long-only. */
static bool has_short(int key)
{
	return key < 128 && isalnum(key);
}

/* One --help line; a multi-line help text keeps its indent. */
static void help_line(FILE *out, const struct tool *t, const struct tool_opt *o)
{
	char left[64];
	int n;

	if (has_short(o->key))
		n = snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
	fprintf(out, "  %-24s ", left);
	for (const char *h = o->help; *h; h++) {
		fputc(*h, out);
		if (*h == '\n')
			fprintf(out, "  %-24s ", "");
	}
	if (o->key == TOOL_KEY_EP)
		fprintf(out, " (default %s)", t->ep_default);
	fputc('\n', out);
}

static void usage(FILE *out, const struct tool *t)
{
	fprintf(out, "Usage: %s %s\n%s\n\n", t->prog, t->usage, t->summary);
	for (unsigned int i = 0; i < t->nb_opts + NB_COMMON; i++)
		if (opt_at(t, i)->help)
			help_line(out, t, opt_at(t, i));
	if (t->epilog)
		fprintf(out, "%s", t->epilog);
}

/* getopt_long's tables from the tool's options and the common ones. */
static int getopt_tables(const struct tool *t, struct option *lopts, char *shorts)
{
	unsigned int n = t->nb_opts + NB_COMMON, s = 0;

	shorts[s++] = ':'; /* a missing value is ':', an unknown option '?' */

	if (n >= TOOL_OPTS_MAX)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		const struct tool_opt *o = opt_at(t, i);

		lopts[i] = (struct option){o->name, o->has_arg, NULL, o->key};
		if (has_short(o->key)) {
			shorts[s++] = (char)o->key;
			if (o->has_arg == required_argument)
				shorts[s++] = ':';
		}
	}
	lopts[n] = (struct option){0};
	shorts[s] = '\0';
	return 0;
}

/* The one option the frame handles itself or hands to the tool. -1 goes on, else an exit. */
static int opt_handle(const struct tool *t, int key, const char *arg, struct tool_common *common,
		      void *ctx)
{
	unsigned long v;

	switch (key) {
	case TOOL_KEY_EP:
		common->ep = arg;
		return -1;
	case KEY_TIMEOUT:
		if (ctl_parse_uint(t->prog, "--timeout", arg, TOOL_TIMEOUT_MAX, &v))
			return TOOL_USAGE;
		common->timeout_ms = (int)v;
		return -1;
	case KEY_HELP:
		usage(stdout, t);
		return TOOL_OK;
	case KEY_VERSION:
		printf("%s (virtio-forwarder) %s\n", t->prog, VFWD_VERSION);
		return TOOL_OK;
	default:
		return t->on_opt && t->on_opt(key, arg, ctx) == 0 ? -1 : TOOL_USAGE;
	}
}

int tool_parse(const struct tool *t, int argc, char **argv, struct tool_common *common, void *ctx)
{
	struct option lopts[TOOL_OPTS_MAX];
	char shorts[2 * TOOL_OPTS_MAX + 2];
	int c, ret;

	common->ep = t->ep_default;
	common->timeout_ms = CTL_TIMEOUT_MS;
	if (getopt_tables(t, lopts, shorts)) {
		tool_err(t, "too many options for the tool frame");
		return TOOL_USAGE;
	}
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			tool_err(t,
				 c == ':' ? "option '%s' needs a value (see --help)"
					  : "unknown option '%s' (see --help)",
				 argv[optind - 1]);
			return TOOL_USAGE;
		}
		ret = opt_handle(t, c, optarg, common, ctx);
		if (ret >= 0)
			return ret;
	}
	if (t->on_args)
		return t->on_args(argc - optind, argv + optind, ctx) ? TOOL_USAGE : -1;
	if (optind < argc) {
		tool_err(t, "unexpected argument '%s' (see --help)", argv[optind]);
		return TOOL_USAGE;
	}
	return -1;
}
