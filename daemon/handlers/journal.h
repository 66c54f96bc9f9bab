/* The preemption journal: emulations whose side effect is done but whose
 * answer was lost.
 *
 * Without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, a signal to a task whose
 * notification we already received interrupts its wait; SEND then fails
 * with ENOENT and the kernel restarts the call (SA_RESTART, or the task
 * retries after EINTR) as a new notification. An emulation that created a
 * node or a file would do it again (EEXIST, a second file). So when the
 * answer to a call with a side effect is lost, the result is kept here,
 * keyed by (thread id, digest of arch, syscall, arguments and the memory
 * the handler read), and the next identical call of that thread within
 * JOURNAL_WINDOW_NS gets it (an fd: the same open file) without a second
 * side effect. Bounded: JOURNAL_MAX entries per listener, the oldest
 * dropped first. Used from the loop (record) and workers (take). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JOURNAL_MAX 32
#define JOURNAL_WINDOW_NS (10ull * 1000000000u)

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

/* Keep c's result (c->fd is taken: set to -1) for c's thread and
 * c->key_digest. */
void journal_record(struct journal *j, struct emul_call *c);
/* If c's thread made this call (c->key_digest) within the window and its
 * answer was lost, move the result into c and return true. */
bool journal_take(struct journal *j, struct emul_call *c);
/* Entries held now (for tests and stats). */
size_t journal_size(struct journal *j);
