/* unotifyd: answer seccomp user notifications from JSON policies. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include "service/activation.h"
#include "loop/daemon.h"
#include "loop/reload.h"
#include "service/log.h"
#include "service/sdnotify.h"
#include "unotify/filter.h"
#include "restart/upgrade.h"

/* -T: every effective policy as a JSON array on stdout. */
static int dump_policies(const struct unotify_policy_set *set)
{
        printf("[");
        for (size_t i = 0; i < unotify_policy_set_count(set); i++) {
                char *json = unotify_policy_to_json(unotify_policy_set_at(set, i));

                if (!json)
                        return EX_OSERR;
                printf("%s\n%s", i ? "," : "", json);
                free(json);
        }
        printf("\n]\n");
        return 0;
}

int main(int argc, char **argv)
{
        struct unotify_policy_set *policies = NULL;
        struct options opts;
        struct inherited in = {};
        struct daemon d = {};
        int r;

        /* A re-exec inherits the signal mask; start from a clean one. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);

        /* Every listener comes from a kernel with user notification, even
         * when seccomp(2) is hidden from us (valgrind): see filter.h. */
        unotify_filter_assume_user_notif();

        r = options_parse(argc, argv, &opts);
        if (r != 0)
                return r == 1 ? 0 : r;
        log_setup(opts.log_level);

        r = daemon_load_policies(&opts, &policies);
        if (r < 0)
                return EX_CONFIG;
        if (opts.dump_config) {
                r = dump_policies(policies);
                unotify_policy_set_free(policies);
                return r;
        }
        if (opts.test_config) {
                printf("%s: %zu policies OK\n", opts.policy_dir,
                       unotify_policy_set_count(policies));
                unotify_policy_set_free(policies);
                return 0;
        }

        r = activation_collect(&in);
        if (r < 0) {
                activation_done(&in);
                unotify_policy_set_free(policies);
                return EX_UNAVAILABLE;
        }
        r = daemon_init(&d, &opts, policies, &in);
        activation_done(&in);
        if (r >= 0)
                r = upgrade_setup(&d, argv);
        if (r < 0) {
                if (!d.policies)
                        unotify_policy_set_free(policies);
                daemon_done(&d);
                return EX_UNAVAILABLE;
        }
        log_emit_id(LOG_NOTICE, 0, LOG_MID_READY, 0, "serving %s with %zu policies from %s",
                    opts.socket_path, unotify_policy_set_count(policies), opts.policy_dir);
        /* Policies loaded, sockets listening, listeners resumed. */
        sdnotify_ready(&d);
        daemon_run(&d);
        sdnotify_stopping(&d);
        daemon_done(&d);
        return 0;
}
