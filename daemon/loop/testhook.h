/* Hooks for the tests, off unless the daemon starts with
 * UNOTIFYD_TEST_HOOKS in its environment (docs/systemd.md, "Test hooks").
 * Only the daemon's own manager sets its environment, so nobody else can
 * turn them on. */
#pragma once

struct daemon;

/* "freeze" in UNOTIFYD_TEST_HOOKS: SIGRTMIN+1 stops the loop for good
 * (no answers, no WATCHDOG=1), so a test can see the service manager's
 * watchdog kill it. */
void testhook_start(struct daemon *d);
void testhook_stop(struct daemon *d);
