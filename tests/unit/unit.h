/* SPDX-License-Identifier: BSD-3-Clause */
/* unit.h: shared runner for the check suites (one binary per module). */
#ifndef VFWD_UNIT_H
#define VFWD_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Run every test of @s, print check's summary, return the process exit status. */
static inline int unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
