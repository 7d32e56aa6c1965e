/* SPDX-License-Identifier: BSD-3-Clause */
/* test_tool.c: the tools' frame (control/tool.c): common options, endpoint, errors, exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "unit.h"

enum { KEY_COUNT = 256, KEY_QUIET = 'q' };

static const struct tool_opt opts[] = {
	{"count", KEY_COUNT, required_argument, "N", "how many\n(a second help line)"},
	{"quiet", KEY_QUIET, no_argument, NULL, "say less"},
	{"test-ep", TOOL_KEY_EP, required_argument, "EP", "endpoint"},
	{"test_ep", TOOL_KEY_EP, required_argument, "EP", NULL},
};

struct state {
	unsigned long count;
	int quiet;
	int nargs;
	char first[32];
};

static int on_opt(int key, const char *arg, void *ctx)
{
	struct state *st = ctx;

	if (key == KEY_QUIET) {
		st->quiet++;
		return 0;
	}
	return ctl_parse_uint("t", "--count", arg, 10, &st->count);
}

static int on_args(int argc, char **argv, void *ctx)
{
	struct state *st = ctx;

	st->nargs = argc;
	if (argc)
		snprintf(st->first, sizeof(st->first), "%s", argv[0]);
	return argc > 1 ? -1 : 0;
}

static struct tool tool = {
	.prog = "t",
	.usage = "[OP] [options]",
	.summary = "A test tool.",
	.epilog = "Exit codes: 0, 1, 2.\n",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = "ipc:///nowhere/t",
	.on_opt = on_opt,
	.on_args = on_args,
};

static char out[4096], err[4096];
static struct tool_common common;
static struct state st;

/* tool_parse over the NULL-terminated arguments, stdout and stderr kept in out / err. */
static int parse(const char *first, ...)
{
	char *argv[16] = {"t"};
	FILE *o = tmpfile(), *e = tmpfile();
	int argc = 1, ret, so = dup(1), se = dup(2);
	va_list ap;
	size_t n;

	va_start(ap, first);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	memset(&st, 0, sizeof(st));
	fflush(stdout), fflush(stderr);
	dup2(fileno(o), 1), dup2(fileno(e), 2);
	ret = tool_parse(&tool, argc, argv, &common, &st);
	fflush(stdout), fflush(stderr);
	dup2(so, 1), dup2(se, 2);
	close(so), close(se);
	rewind(o), rewind(e);
	n = fread(out, 1, sizeof(out) - 1, o);
	out[n] = '\0';
	n = fread(err, 1, sizeof(err) - 1, e);
	err[n] = '\0';
	fclose(o), fclose(e);
	return ret;
}

START_TEST(defaults_and_own_options)
{
	ck_assert_int_eq(parse(NULL), -1);
	ck_assert_str_eq(common.ep, "ipc:///nowhere/t");
	ck_assert_int_eq(common.timeout_ms, CTL_TIMEOUT_MS);
	ck_assert_int_eq(parse("--count", "7", "-q", "-q", "add", NULL), -1);
	ck_assert_uint_eq(st.count, 7);
	ck_assert_int_eq(st.quiet, 2);
	ck_assert_int_eq(st.nargs, 1);
	ck_assert_str_eq(st.first, "add");
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(endpoint_and_timeout)
{
	ck_assert_int_eq(parse("--test-ep", "tcp://1.2.3.4:5", "--timeout", "250", NULL), -1);
	ck_assert_str_eq(common.ep, "tcp://1.2.3.4:5");
	ck_assert_int_eq(common.timeout_ms, 250);
	ck_assert_int_eq(parse("--test_ep", "ipc:///x", NULL), -1); /* the alias */
	ck_assert_str_eq(common.ep, "ipc:///x");
	ck_assert_int_eq(parse("--timeout", "x", NULL), TOOL_USAGE);
	ck_assert_str_eq(err, "t: --timeout: 'x' is not a number in 0..3600000\n");
	ck_assert_int_eq(parse("--timeout", "3600001", NULL), TOOL_USAGE);
}
END_TEST

START_TEST(usage_errors_exit_2_naming_the_argument)
{
	ck_assert_int_eq(parse("--bogus", NULL), TOOL_USAGE);
	ck_assert_str_eq(err, "t: unknown option '--bogus' (see --help)\n");
	ck_assert_int_eq(parse("--count", NULL), TOOL_USAGE);
	ck_assert_str_eq(err, "t: option '--count' needs a value (see --help)\n");
	ck_assert_int_eq(parse("--count", "11", NULL), TOOL_USAGE); /* the tool's own check */
	ck_assert_int_eq(parse("a", "b", NULL), TOOL_USAGE);	    /* on_args refused */
	tool.on_args = NULL;
	ck_assert_int_eq(parse("stray", NULL), TOOL_USAGE);
	tool.on_args = on_args;
	ck_assert_str_eq(err, "t: unexpected argument 'stray' (see --help)\n");
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(seconds_from_a_tenth_to_an_hour)
{
	double v = 0;

	ck_assert_int_eq(tool_parse_seconds(&tool, "--poll-interval", "0.1", &v), 0);
	ck_assert_double_eq(v, 0.1);
	ck_assert_int_eq(tool_parse_seconds(&tool, "--poll-interval", "3600", &v), 0);
	ck_assert_int_eq(tool_parse_seconds(&tool, "--poll-interval", "2.5", &v), 0);
	ck_assert_double_eq(v, 2.5);
	for (const char *const *bad =
		     (const char *const[]){"0.05", "3601", "x", "", "5s", "-1", "nan", NULL};
	     *bad; bad++)
		ck_assert_int_eq(tool_parse_seconds(&tool, "--poll-interval", *bad, &v), -1);
}
END_TEST

START_TEST(help_and_version_exit_0_on_stdout)
{
	ck_assert_int_eq(parse("--count", "1", "-h", NULL), TOOL_OK);
	ck_assert_ptr_nonnull(strstr(out, "Usage: t [OP] [options]\nA test tool.\n"));
	ck_assert_ptr_nonnull(strstr(out, "--count N"));
	ck_assert_ptr_nonnull(strstr(out, "how many\n                           (a second"));
	ck_assert_ptr_nonnull(strstr(out, "-q, --quiet"));
	ck_assert_ptr_nonnull(strstr(out, "  -h, --help "));
	ck_assert_ptr_nonnull(strstr(out, "      --count N ")); /* long-only: no short form */
	ck_assert_ptr_nonnull(strstr(out, "--test-ep EP"));
	ck_assert_ptr_nonnull(strstr(out, "(default ipc:///nowhere/t)"));
	ck_assert_ptr_null(strstr(out, "test_ep")); /* aliases stay out of the help */
	ck_assert_ptr_nonnull(strstr(out, "--timeout MS"));
	ck_assert_ptr_nonnull(strstr(out, "--version"));
	ck_assert_ptr_nonnull(strstr(out, "Exit codes: 0, 1, 2.\n"));
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(parse("--version", NULL), TOOL_OK);
	ck_assert_str_eq(out, "t (virtio-forwarder) " VFWD_VERSION "\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tool");
	TCase *tc = tcase_create("tool");

	tcase_add_test(tc, defaults_and_own_options);
	tcase_add_test(tc, endpoint_and_timeout);
	tcase_add_test(tc, usage_errors_exit_2_naming_the_argument);
	tcase_add_test(tc, help_and_version_exit_0_on_stdout);
	tcase_add_test(tc, seconds_from_a_tenth_to_an_hour);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
