/* The restart state on real objects: the state memfd written by its real
 * writer (restart/state_file.h) from real listeners and read back by its
 * real parser, including torn, truncated and garbage files; and the
 * restart store (restart/fdstore.h) resuming real seccomp listeners, from
 * a child's filter, out of a state it was handed. No daemon, no sockets. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "metrics/metrics.h"
#include "metrics/stats.h"
#include "notify/listener.h"
#include "notify/listener_set.h"
#include "restart/fdstore.h"
#include "restart/state_file.h"
#include "service/activation.h"
#include "unotify/macro.h"
#include "unotify/policy.h"

#include "seccomp_child.h"

static struct daemon_stats stats;

static struct unotify_policy *named_policy(const char *name)
{
        struct unotify_policy *p;

        cr_assert_eq(unotify_policy_new_deny_all(name, EPERM, &p), 0);
        return p;
}

/* A listener object on an fd that is no listener (the writer reads only
 * the object), in list. */
static struct listener *fake_listener(struct list_node *list, uint64_t id, const char *policy,
                                      const char *cid, uid_t uid)
{
        struct listener *l;

        cr_assert_eq(listener_new(open("/dev/null", O_RDONLY | O_CLOEXEC), named_policy(policy),
                                  cid, 100 + (pid_t)id, id, &stats, NULL, &l),
                     0);
        l->peer_uid = uid;
        l->received = 10 * id;
        list_add_tail(list, &l->node);
        return l;
}

static void free_listeners(struct list_node *list)
{
        while (!list_empty(list)) {
                struct listener *l = container_of(list->next, struct listener, node);

                list_del(&l->node);
                listener_unref(l);
        }
}

static int state_memfd(void)
{
        int fd = memfd_create("test-state", MFD_CLOEXEC);

        cr_assert_geq(fd, 0);
        return fd;
}

static const char *entry_str(json_t *by_id, uint64_t id, const char *key)
{
        json_t *e = state_file_entry(by_id, id);

        cr_assert_not_null(e, "no entry for listener %llu", (unsigned long long)id);
        return json_string_value(json_object_get(e, key));
}

static json_int_t entry_int(json_t *by_id, uint64_t id, const char *key)
{
        return json_integer_value(json_object_get(state_file_entry(by_id, id), key));
}

Test(state_file, snapshot_and_changes_round_trip)
{
        struct list_node list;
        struct state_file f = { .fd = state_memfd() };
        struct listener *l1, *l4;
        json_t *by_id = NULL;
        size_t torn = 99;
        char err[256] = "";

        list_init(&list);
        l1 = fake_listener(&list, 1, "web", "c1", 1000);
        cr_assert_eq(listener_keep_origin(l1, "policy=web\nk=v",
                                          (char *const[]){ "io.k8s/pod", "p1", "team", "a" }, 2),
                     0);
        fake_listener(&list, 2, "db", "c2", 0);
        fake_listener(&list, 3, "web", "c3", 2000);
        cr_assert_eq(state_file_snapshot(&f, &list, NULL), 0);
        cr_assert_eq(f.changes, 0);
        cr_assert_gt(f.len, 0);

        /* After the snapshot: one added, one removed, as lines. */
        l4 = fake_listener(&list, 4, "cache", "c4", 3000);
        cr_assert_eq(state_file_add(&f, l4), 0);
        cr_assert_eq(state_file_remove(&f, 2), 0);
        cr_assert_eq(f.changes, 2);
        cr_assert_eq(lseek(f.fd, 0, SEEK_END), (off_t)f.len, "len is what the file holds");

        cr_assert_eq(state_file_read(f.fd, &by_id, &torn, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(torn, 0);
        cr_assert_eq(json_object_size(by_id), 3, "1, 3 and 4; 2 removed");
        cr_assert_null(state_file_entry(by_id, 2));
        cr_assert_str_eq(entry_str(by_id, 1, "policy"), "web");
        cr_assert_str_eq(entry_str(by_id, 1, "container_id"), "c1");
        cr_assert_str_eq(entry_str(by_id, 1, "metadata"), "policy=web\nk=v");
        cr_assert_str_eq(
                json_string_value(json_object_get(
                        json_object_get(state_file_entry(by_id, 1), "annotations"), "io.k8s/pod")),
                "p1");
        cr_assert_eq(entry_int(by_id, 1, "peer_uid"), 1000);
        cr_assert_eq(entry_int(by_id, 1, "pid"), 101);
        cr_assert_eq(entry_int(by_id, 3, "received"), 30);
        cr_assert_str_eq(entry_str(by_id, 4, "policy"), "cache");
        cr_assert_eq(entry_int(by_id, 4, "peer_uid"), 3000);
        json_decref(by_id);

        /* A snapshot leaving one out (a listener being freed) replaces it all. */
        cr_assert_eq(state_file_snapshot(&f, &list, l1), 0);
        cr_assert_eq(lseek(f.fd, 0, SEEK_END), (off_t)f.len, "shrunk to the new snapshot");
        cr_assert_eq(state_file_read(f.fd, &by_id, &torn, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(json_object_size(by_id), 3, "2, 3 and 4 are in the list");
        cr_assert_null(state_file_entry(by_id, 1));
        json_decref(by_id);

        free_listeners(&list);
        close(f.fd);
}

Test(state_file, snapshot_is_asked_for_once_changes_outnumber_listeners)
{
        struct list_node list;
        struct state_file f = { .fd = state_memfd() };
        size_t n = 0;

        list_init(&list);
        fake_listener(&list, 1, "web", "c1", 0);
        cr_assert_eq(state_file_snapshot(&f, &list, NULL), 0);
        while (!state_file_wants_snapshot(&f, 1) && n < 1000)
                cr_assert_eq(state_file_remove(&f, 1000 + n++), 0);
        cr_assert_gt(n, 1, "not at once");
        cr_assert_lt(n, 1000, "but eventually");
        cr_assert_eq(state_file_snapshot(&f, &list, NULL), 0);
        cr_assert_not(state_file_wants_snapshot(&f, 1));
        free_listeners(&list);
        close(f.fd);
}

Test(state_file, no_fd_writes_nothing)
{
        struct list_node list;
        struct state_file f = { .fd = -1 };

        list_init(&list);
        cr_assert_eq(state_file_snapshot(&f, &list, NULL), 0);
        cr_assert_eq(state_file_remove(&f, 1), 0);
        cr_assert_eq(f.len, 0);
}

/* A torn last change (the writer died mid-line) ends the reading there:
 * what came before it stands, and the caller is told where. */
Test(state_file, torn_last_change_keeps_the_rest)
{
        struct list_node list;
        struct state_file f = { .fd = state_memfd() };
        json_t *by_id = NULL;
        size_t snapshot_len, torn = 0;
        char err[256] = "";

        list_init(&list);
        fake_listener(&list, 1, "web", "c1", 0);
        cr_assert_eq(state_file_snapshot(&f, &list, NULL), 0);
        snapshot_len = f.len;
        cr_assert_eq(state_file_add(&f, fake_listener(&list, 2, "db", "c2", 0)), 0);
        cr_assert_eq(ftruncate(f.fd, (off_t)(f.len - 10)), 0);

        cr_assert_eq(state_file_read(f.fd, &by_id, &torn, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(torn, snapshot_len, "torn at the change's first byte");
        cr_assert_eq(json_object_size(by_id), 1);
        cr_assert_str_eq(entry_str(by_id, 1, "container_id"), "c1");
        json_decref(by_id);
        free_listeners(&list);
        close(f.fd);
}

struct bad_state {
        const char *what;
        const char *text;
        const char *says; /* in err */
};

static void write_all(int fd, const char *text)
{
        size_t n = strlen(text);

        cr_assert_eq(ftruncate(fd, 0), 0);
        cr_assert_eq(pwrite(fd, text, n, 0), (ssize_t)n);
}

/* Every bad state: -EBADMSG, a reason, nothing returned (the store then
 * resumes every listener with deny-all). Leaks show under ASan. */
Test(state_file, garbage_and_truncation_are_refused_with_a_reason)
{
        static const struct bad_state bad[] = {
                { "empty", "", "0 bytes" },
                { "not JSON", "hello\n", "not JSON" },
                { "a truncated snapshot", "{\"version\":1,\"listeners\":[{\"id\":1,\"pol",
                  "not JSON" },
                { "no listeners", "{\"version\":1}\n", "\"listeners\"" },
                { "listeners not an array", "{\"version\":1,\"listeners\":{}}\n", "\"listeners\"" },
                { "an array", "[1,2]\n", "\"listeners\"" },
        };
        int fd = state_memfd();

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *by_id = NULL;
                size_t torn = 0;
                char err[256] = "";

                write_all(fd, bad[i].text);
                cr_assert_eq(state_file_read(fd, &by_id, &torn, err, sizeof(err)), -EBADMSG, "%s",
                             bad[i].what);
                cr_assert_null(by_id, "%s", bad[i].what);
                cr_assert_not_null(strstr(err, bad[i].says), "%s: \"%s\"", bad[i].what, err);
        }
        close(fd);
}

Test(state_file, change_lines_that_are_no_changes_are_skipped)
{
        const char *text = "{\"version\":1,\"listeners\":[{\"id\":5,\"policy\":\"p\"},{\"x\":1}]}\n"
                           "{\"add\":7}\n{\"remove\":\"5\"}\n{\"other\":1}\n"
                           "{\"add\":{\"id\":6,\"policy\":\"q\"}}\n";
        json_t *by_id = NULL;
        size_t torn = 0;
        char err[256] = "";

        cr_assert_eq(state_file_parse(text, strlen(text), &by_id, &torn, err, sizeof(err)), 0, "%s",
                     err);
        cr_assert_eq(torn, 0);
        cr_assert_eq(json_object_size(by_id), 2, "5 and 6; the entry without an id is not kept");
        cr_assert_str_eq(entry_str(by_id, 5, "policy"), "p");
        cr_assert_str_eq(entry_str(by_id, 6, "policy"), "q");
        json_decref(by_id);
}

struct policies {
        struct unotify_policy *web;
        unsigned asked;
};

static struct unotify_policy *find_policy(void *userdata, const char *name)
{
        struct policies *p = userdata;

        p->asked++;
        return strcmp(name, "web") == 0 ? p->web : NULL;
}

static struct listener *find_listener(struct listener_set *s, uint64_t id)
{
        for (struct list_node *n = s->listeners.next; n != &s->listeners; n = n->next)
                if (container_of(n, struct listener, node)->id == id)
                        return container_of(n, struct listener, node);
        return NULL;
}

/* What a previous process left: its state (written by the real writer),
 * and three listener fds: one the state names with a loaded policy, one
 * with a policy that is gone, one it does not describe; and a pipe passed
 * as a listener. */
Test(restart_store, resumes_listeners_from_the_state_it_is_handed, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct metrics metrics = {};
        struct policies pol = { .web = named_policy("web") };
        const struct restart_hooks hooks = { .userdata = &pol, .find_policy = find_policy };
        struct unotify_policy *deny = named_policy("(deny-all)");
        struct state_file old = { .fd = state_memfd() };
        struct inherited_fd fds[6];
        struct inherited in = { .fds = fds, .n = 6 };
        struct listener_set *set;
        struct restart_store *store;
        struct restart_fds kept;
        struct list_node list;
        struct listener *l;
        json_t *by_id = NULL;
        pid_t pids[3];
        int pipefd[2];
        size_t torn;
        char err[256] = "";

        list_init(&list);
        cr_assert_eq(listener_keep_origin(fake_listener(&list, 7, "web", "c7", 1000), "policy=web",
                                          (char *const[]){ "team", "a" }, 1),
                     0);
        fake_listener(&list, 8, "gone", "c8", 0);
        cr_assert_eq(state_file_snapshot(&old, &list, NULL), 0);
        free_listeners(&list);
        cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
        close(pipefd[1]);
        fds[0] = (struct inherited_fd){ old.fd, "state" };
        fds[1] = (struct inherited_fd){ seccomp_child_listener(&pids[0]), "listener-7" };
        fds[2] = (struct inherited_fd){ seccomp_child_listener(&pids[1]), "listener-8" };
        fds[3] = (struct inherited_fd){ seccomp_child_listener(&pids[2]), "listener-9" };
        fds[4] = (struct inherited_fd){ pipefd[0], "listener-10" };
        fds[5] = (struct inherited_fd){ -1, "inflight" };

        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, NULL, &set), 0);
        cr_assert_eq(restart_store_new(set, &in, deny, &hooks, &store), 0);
        for (size_t i = 0; i < in.n; i++)
                cr_assert_lt(fds[i].fd, 0, "%s taken", fds[i].name);
        cr_assert_eq(set->n_listeners, 3, "7, 8 and 9; the pipe is closed");
        cr_assert_not_null(set->inflight, "the store's journal serves the set");

        l = find_listener(set, 7);
        cr_assert_not_null(l);
        cr_assert_eq(l->policy, pol.web);
        cr_assert_str_eq(l->container_id, "c7");
        cr_assert_eq(l->peer_uid, 1000);
        cr_assert_str_eq(l->metadata, "policy=web");
        cr_assert_eq(l->n_annotations, 1);
        cr_assert_str_eq(l->annotations[1], "a");
        l = find_listener(set, 8);
        cr_assert_eq(l->policy, deny, "its policy is not loaded any more");
        cr_assert_str_eq(l->container_id, "c8");
        l = find_listener(set, 9);
        cr_assert_eq(l->policy, deny, "the state does not describe it");
        cr_assert_str_eq(l->container_id, "restored-9");
        cr_assert_eq(pol.asked, 2, "asked for 7's and 8's policies");

        /* The store wrote a new state at once: the three resumed ones. */
        restart_store_fds(store, &kept);
        cr_assert_eq(kept.state, old.fd, "the state memfd passed in is kept");
        cr_assert_geq(kept.inflight, 0);
        cr_assert_eq(state_file_read(kept.state, &by_id, &torn, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(json_object_size(by_id), 3);
        cr_assert_str_eq(entry_str(by_id, 9, "container_id"), "restored-9");
        json_decref(by_id);

        /* One gone: dropped from the state too. */
        restart_store_gone(store, find_listener(set, 8));
        cr_assert_eq(state_file_read(kept.state, &by_id, &torn, err, sizeof(err)), 0, "%s", err);
        cr_assert_null(state_file_entry(by_id, 8));
        cr_assert_eq(json_object_size(by_id), 2);
        json_decref(by_id);

        cr_assert_null(restart_store_free(store));
        cr_assert_null(set->inflight, "detached from the set");
        cr_assert_lt(fcntl(kept.state, F_GETFD), 0, "the state memfd is closed");
        listener_set_free(set);
        for (int i = 0; i < 3; i++)
                seccomp_child_kill(pids[i]);
        unotify_policy_unref(pol.web);
        unotify_policy_unref(deny);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
}

/* Garbage handed in as the state: every listener is still served, by
 * deny-all, and the store starts a fresh state. */
Test(restart_store, a_garbage_state_resumes_with_deny_all, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct metrics metrics = {};
        struct policies pol = { .web = named_policy("web") };
        const struct restart_hooks hooks = { .userdata = &pol, .find_policy = find_policy };
        struct unotify_policy *deny = named_policy("(deny-all)");
        int state = state_memfd();
        struct inherited_fd fds[2];
        struct inherited in = { .fds = fds, .n = 2 };
        struct listener_set *set;
        struct restart_store *store;
        struct restart_fds kept;
        json_t *by_id = NULL;
        size_t torn;
        pid_t pid;
        char err[256] = "";

        write_all(state, "{\"version\":1,\"listeners\":[{\"id\":7,\"policy\":\"web\"");
        fds[0] = (struct inherited_fd){ state, "state" };
        fds[1] = (struct inherited_fd){ seccomp_child_listener(&pid), "listener-7" };
        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, NULL, &set), 0);
        cr_assert_eq(restart_store_new(set, &in, deny, &hooks, &store), 0);
        cr_assert_eq(set->n_listeners, 1);
        cr_assert_eq(find_listener(set, 7)->policy, deny);
        cr_assert_eq(pol.asked, 0);
        restart_store_fds(store, &kept);
        cr_assert_eq(state_file_read(kept.state, &by_id, &torn, err, sizeof(err)), 0,
                     "rewritten: %s", err);
        cr_assert_str_eq(entry_str(by_id, 7, "policy"), "(deny-all)");
        json_decref(by_id);
        restart_store_free(store);
        listener_set_free(set);
        seccomp_child_kill(pid);
        unotify_policy_unref(pol.web);
        unotify_policy_unref(deny);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
}

/* Nothing handed in: new memfds, nothing resumed, all closed by _free. */
Test(restart_store, new_and_free_with_nothing_passed, .timeout = 30)
{
        struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
        struct metrics metrics = {};
        const struct restart_hooks hooks = { .find_policy = find_policy };
        struct unotify_policy *deny = named_policy("(deny-all)");
        struct inherited in = {};
        struct listener_set *set;
        struct restart_store *store;
        struct restart_fds kept;

        cr_assert_eq(listener_set_new(loop, false, &stats, &metrics, NULL, &set), 0);
        cr_assert_eq(restart_store_new(set, &in, deny, &hooks, &store), 0);
        cr_assert_eq(set->n_listeners, 0);
        restart_store_fds(store, &kept);
        cr_assert_geq(kept.state, 0);
        cr_assert_geq(kept.inflight, 0);
        cr_assert_null(restart_store_free(store));
        cr_assert_lt(fcntl(kept.state, F_GETFD), 0);
        cr_assert_lt(fcntl(kept.inflight, F_GETFD), 0);
        cr_assert_null(restart_store_free(NULL));
        listener_set_free(set);
        unotify_policy_unref(deny);
        metrics_done(&metrics);
        ev_loop_destroy(loop);
}
