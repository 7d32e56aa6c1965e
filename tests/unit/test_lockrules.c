/* SPDX-License-Identifier: BSD-3-Clause */
/* test_lockrules.c: the engine's lock rules (relay_int.h) abort when broken, in every build. */
#include <signal.h>

#include "relay_int.h"
#include "unit.h"

START_TEST(grace_period_under_engine_lock_aborts)
{
	engine_lock();
	workers_synchronize(); /* rule 1: must not return */
}
END_TEST

START_TEST(engine_lock_under_vring_locks_aborts)
{
	engine_vring_locked(true);
	engine_lock(); /* rule 2 */
}
END_TEST

START_TEST(grace_period_under_vring_locks_aborts)
{
	engine_vring_locked(true);
	workers_synchronize(); /* rule 2: an armed worker may spin on those locks */
}
END_TEST

START_TEST(engine_lock_twice_aborts)
{
	engine_lock();
	engine_lock();
}
END_TEST

START_TEST(vf_events_stop_under_engine_lock_aborts)
{
	engine_lock();
	vf_events_stop(); /* rule 5: a callback in progress may wait for the lock */
}
END_TEST

START_TEST(vf_close_under_engine_lock_aborts)
{
	static struct relay r;

	engine_lock();
	vf_close(&r); /* rule 5: closing a port waits for its interrupt handlers */
}
END_TEST

START_TEST(allowed_sequences_pass)
{
	engine_lock();
	ck_assert(engine_lock_held());
	engine_unlock();
	ck_assert(!engine_lock_held());
	workers_synchronize(); /* no workers started: returns at once */
	engine_vring_locked(true);
	engine_vring_locked(false);
	engine_lock();
	engine_unlock();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lockrules");
	TCase *tc = tcase_create("lockrules");

	tcase_add_test_raise_signal(tc, grace_period_under_engine_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, engine_lock_under_vring_locks_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, grace_period_under_vring_locks_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, engine_lock_twice_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, vf_events_stop_under_engine_lock_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, vf_close_under_engine_lock_aborts, SIGABRT);
	tcase_add_test(tc, allowed_sequences_pass);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
