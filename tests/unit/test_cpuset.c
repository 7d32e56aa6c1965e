/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cpuset.c: CPU list, range and hex-mask parsing (relay/cpuset.c). */
#include "unit.h"
#include <errno.h>
#include <stdlib.h>

#include "relay_pure.h"

static void expect_set(const char *s, const char *formatted)
{
	struct cpuset set;
	char buf[256];

	ck_assert_int_eq(cpuset_parse(s, &set), 0);
	ck_assert_int_eq(cpuset_format(&set, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, formatted);
}

START_TEST(parses_lists_and_ranges)
{
	expect_set("1", "1");
	expect_set("1,2", "1,2");
	expect_set("1-3", "1,2,3");
	expect_set("1-3,7,9-10", "1,2,3,7,9,10");
	expect_set("3,1,3", "1,3");
	expect_set("255", "255");
}
END_TEST

START_TEST(parses_hex_masks)
{
	expect_set("0x6", "1,2");
	expect_set("0X1", "0");
	expect_set("0xff", "0,1,2,3,4,5,6,7");
	expect_set("0x10000000000000000", "64");
	expect_set("0xA", "1,3");
}
END_TEST

START_TEST(rejects_bad_input)
{
	static const char *const bad[] = {
		"",
		"a",
		"1,",
		",1",
		"1-",
		"3-1",
		"1--2",
		"-1",
		"256",
		"0x",
		"0x0",
		"0xg",
		"1 2",
		"1;2",
		"0x1"
		"0000000000000000000000000000000000000000000000000000000000000000"};
	struct cpuset set;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cpuset_parse(bad[i], &set) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(cpuset_count(&set), 0);
	}
	ck_assert_int_eq(cpuset_parse(NULL, &set), -EINVAL);
}
END_TEST

START_TEST(queries_and_format_limits)
{
	struct cpuset set;
	char small[3];

	cpuset_zero(&set);
	cpuset_add(&set, 5);
	cpuset_add(&set, 70);
	cpuset_add(&set, 1000); /* out of range: ignored */
	ck_assert_uint_eq(cpuset_count(&set), 2);
	ck_assert(cpuset_has(&set, 70));
	ck_assert(!cpuset_has(&set, 6));
	ck_assert_int_eq(cpuset_next(&set, 0), 5);
	ck_assert_int_eq(cpuset_next(&set, 6), 70);
	ck_assert_int_eq(cpuset_next(&set, 71), -1);
	ck_assert_int_eq(cpuset_format(&set, small, sizeof(small)), -ENOSPC);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cpuset");
	TCase *tc = tcase_create("cpuset");

	tcase_add_test(tc, parses_lists_and_ranges);
	tcase_add_test(tc, parses_hex_masks);
	tcase_add_test(tc, rejects_bad_input);
	tcase_add_test(tc, queries_and_format_limits);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
