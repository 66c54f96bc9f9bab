/* Listeners that outlive the process: each one is put in systemd's fd
 * store (FDSTORE=1, FDNAME=listener-ID) with the daemon's state (a memfd
 * of JSON: each listener's policy name and origin, FDNAME=state) and the
 * in-flight journal (FDNAME=journal); a new process gets them back through
 * sd_listen_fds_with_names() or a re-exec, and resumes serving them. */
#pragma once

struct daemon;
struct inherited;
struct listener;

/* Take the state and journal memfds passed in (or create and store new
 * ones), resume every passed "listener-N" under the policy the state names
 * for it (deny-all when that policy is not loaded any more), then answer
 * what the journal says was left in flight. Returns 0 or -errno (logged). */
int fdstore_init(struct daemon *d, struct inherited *in);
/* A new listener: store it and record it in the state. */
void fdstore_listener_added(struct daemon *d, struct listener *l);
/* A listener whose tasks are all gone (about to be freed): drop it from
 * the store and the state. Not called at exit: those stay stored. */
void fdstore_listener_gone(struct daemon *d, struct listener *l);
/* Rewrite the state memfd from the listeners being served. */
int fdstore_write_state(struct daemon *d);
/* Close the memfds (the store keeps its own copies). */
void fdstore_done(struct daemon *d);
