/* The preemption journal: emulations whose side effect is done but whose
 * answer was lost.
 *
 * Without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, a signal to a task whose
 * notification we already received interrupts its wait and the kernel
 * restarts the call (SA_RESTART, or the task retries after EINTR) as a new
 * notification. An emulation that created a node or a file would do it
 * again (EEXIST, a second file). The answer can be lost in two ways: SEND
 * (or ADDFD) fails with ENOENT/ESRCH; or SEND succeeds while the task,
 * already woken by the signal, is about to drop the answer (the kernel's
 * wait returned -ERESTARTSYS before SEND took the lock). So the result of
 * every call with a side effect is kept here, keyed by (thread id, digest
 * of arch, syscall, arguments and the memory the handler read), and the
 * next identical call of that thread gets it (an fd: the same open file)
 * without a second side effect, within JOURNAL_LOST_WINDOW_NS when the
 * answer is known lost, JOURNAL_SENT_WINDOW_NS when SEND succeeded (a
 * restart follows the signal handler at once; a deliberate identical call
 * that soon would be answered from the journal too: docs/handlers.md).
 * Bounded: JOURNAL_MAX entries per listener, the oldest dropped first.
 * Used from the loop (record) and workers (take). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_MAX 32
#define JOURNAL_LOST_WINDOW_NS (10ull * 1000000000u)
#define JOURNAL_SENT_WINDOW_NS (1000000000ull)

struct journal;
struct emul_call;
struct seccomp_notif;

struct journal *journal_new(void);
/* Closes the fds it holds. Accepts NULL; returns NULL. */
struct journal *journal_free(struct journal *j);

/* FNV-1a 64 of req's arch, nr and arguments, then n bytes at mem (what
 * the handler read from the task; may be NULL with n = 0). Call again
 * with the running value as seed to add more memory. */
uint64_t journal_digest(const struct seccomp_notif *req, const void *mem, size_t n);
uint64_t journal_digest_more(uint64_t seed, const void *mem, size_t n);

/* Before a call that may have a side effect (c->key_digest set, in a
 * worker): if this thread's identical call already ran (or is running in
 * another worker: wait for it, at most a second), move its result into c
 * (an fd: a copy of the same open file) and return true: do not run it
 * again. Else note the call as running and return false. */
bool journal_begin(struct journal *j, struct emul_call *c);
/* After it ran (in the worker): keep the result if c->side_effect (a copy
 * of c->fd), else forget the call. */
void journal_end(struct journal *j, struct emul_call *c);
/* In the loop: SEND accepted c's answer; keep it JOURNAL_SENT_WINDOW_NS
 * more only (it may still be dropped by a task the signal woke first). */
void journal_answered(struct journal *j, const struct emul_call *c);
/* Entries held now (for tests and stats). */
size_t journal_size(struct journal *j);
