/* A sandboxed task that lives as long as a test wants: it makes one
 * notified mkdir(2) per request and reports what the call returned, so a
 * test can ask before and after whatever it does to the daemon. */
#pragma once

#include <stdio.h>
#include <sys/types.h>

struct sandbox {
        pid_t pid;  /* the process the test waits for */
        pid_t task; /* the sandboxed task itself (reported "ready PID") */
        int in;     /* one line -> one mkdir */
        FILE *out;  /* "mkdir: RESULT" lines */
};

/* unotify-run --socket SOCKET --policy POLICY -- probe repeat PATH. */
void sandbox_start_run(struct sandbox *s, const char *socket, const char *policy, const char *path);
/* A forked child with the raw mkdir filter, handed over with this state
 * JSON (so a test chooses metadata and annotations). */
void sandbox_start_raw(struct sandbox *s, const char *socket, const char *state, const char *path);
/* One mkdir(PATH) in the task: "EPERM", "ok", "ENOSYS", ... (static). */
const char *sandbox_mkdir(struct sandbox *s);
/* n mkdir(PATH) calls in a row; the last one's result (static). */
const char *sandbox_mkdir_burst(struct sandbox *s, int n);
/* EOF on its stdin; asserts it exits 0. */
void sandbox_stop(struct sandbox *s);
