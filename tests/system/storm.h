/* A SIGUSR1 storm on the calling thread, for the soak's targets
 * (soak_target.c, utarget.c): with UNOTIFY_SOAK_STORM=1 in the
 * environment, a sibling thread sends it SIGUSR1 every 50 us, caught by an
 * SA_RESTART handler that counts. One storm per process. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

struct storm {
        pthread_t thread;
        pid_t tid; /* the thread it signals */
        bool on;
};

/* Starts one if the environment asks for it and returns once its first
 * signal was caught (under load the thread may start late); false if
 * not asked for or it could not start. */
bool storm_start(struct storm *s);
/* Ends it (none running: 0); the signals its handler caught. */
unsigned storm_stop(struct storm *s);
