/* unotifyctl learn: record what a command does through the running
 * daemon, and turn recordings into least-privilege profiles.
 *
 *   unotifyctl learn [OPTIONS] --out FILE -- CMD [ARG...]
 *   unotifyctl learn list|save|drop [--control-socket PATH] [NAME]
 *   unotifyctl learn export [OPTIONS] RECORDING...
 *   unotifyctl learn merge RECORDING...
 *   unotifyctl learn diff [--json] RECORDING PROFILE
 *
 * A command is recorded under unotify-run with a policy that learns (the
 * daemon's built-in "learn" unless --policy says otherwise), its listener
 * named by the metadata unotify.learn=NAME; once it has exited the
 * recording is saved from the daemon, dropped there, and exported. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "control_client.h"
#include "ctl_msg.h"
#include "learn.h"
#include "learn_profile.h"
#include "unotify/macro.h"
#include "unotify/paths.h"
#include "unotify/policy.h"

static const char WHO[] = "unotifyctl learn";

struct learn_opts {
        const char *socket;  /* handoff socket, for unotify-run */
        const char *control; /* control socket */
        const char *policy;
        const char *name;
        const char *out;
        const char *recording; /* --recording FILE: keep the raw recording too */
        bool keep;             /* leave the recording in the daemon */
        bool json;
        struct learn_export_opts exp;
};

static void print_help(void)
{
        printf("Usage: unotifyctl learn [OPTIONS] --out FILE -- CMD [ARG...]\n"
               "       unotifyctl learn list|save|drop [-c PATH] [NAME]\n"
               "       unotifyctl learn export [OPTIONS] RECORDING...\n"
               "       unotifyctl learn merge RECORDING...\n"
               "       unotifyctl learn diff [--json] RECORDING PROFILE\n"
               "\n"
               "Record every syscall CMD and its children make (names per ABI, the flag and\n"
               "enum arguments, the paths) through the running unotifyd, let each run, and\n"
               "write the least-privilege profile of what was done to FILE: OCI/Docker\n"
               "vocabulary, defaultAction SCMP_ACT_ERRNO (docs/learn.md).\n"
               "\n"
               "  -s, --socket PATH          the daemon's handoff socket (unotify-run's default)\n"
               "  -c, --control-socket PATH  its control socket (default: control.sock next to\n"
               "                             --socket, else %s)\n"
               "  -p, --policy NAME          the policy that records (default \"learn\", the\n"
               "                             daemon's built-in one unless its directory has one)\n"
               "  -n, --name NAME            the recording's name (default cmd-PID)\n"
               "  -o, --out FILE             write the profile to FILE (\"-\": stdout)\n"
               "  -r, --recording FILE       also write the recording itself (for merge, diff)\n"
               "  -k, --keep                 leave the recording in the daemon (learn save NAME)\n"
               "  -e, --errno NAME           defaultErrnoRet of the profile (default EPERM)\n"
               "  -P, --paths                path rules: opens within the paths seen are\n"
               "                             emulated by the daemon, others refused (EACCES);\n"
               "                             without it the profile is pure BPF\n"
               "  -A, --audit                what the profile denies goes to the daemon, which\n"
               "                             counts (notifications_denied) and logs each denial;\n"
               "                             for trying a profile out, not pure BPF\n"
               "  -j, --json                 diff: as JSON\n"
               "  -h, --help                 show this help\n"
               "\n"
               "list, save and drop talk to the daemon's recordings (save prints one as JSON);\n"
               "export prints the profile of recordings (merged first when several), merge\n"
               "one recording of several, diff what PROFILE denies of a recording and what\n"
               "it allows that was never used.\n"
               "\n"
               "Exit status: CMD's (128+N for signal N) once FILE is written; 64 usage;\n"
               "65 a file is not a recording; 66 it cannot be read; 69 the daemon cannot\n"
               "be reached or refused; 73 FILE cannot be written; 78 PROFILE is invalid.\n",
               UNOTIFYCTL_DEFAULT_CONTROL_SOCKET);
}

/* Returns 0 to go on, 1 after --help, or an exit code. Long because it
 * is the option table and one short case per option, read as one list. */
static int parse_options(int argc, char **argv, struct learn_opts *o)
{
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "control-socket", required_argument, NULL, 'c' },
                { "policy", required_argument, NULL, 'p' },
                { "name", required_argument, NULL, 'n' },
                { "out", required_argument, NULL, 'o' },
                { "recording", required_argument, NULL, 'r' },
                { "keep", no_argument, NULL, 'k' },
                { "errno", required_argument, NULL, 'e' },
                { "paths", no_argument, NULL, 'P' },
                { "audit", no_argument, NULL, 'A' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "+s:c:p:n:o:r:ke:Pjh", opts, NULL)) >= 0) {
                switch (c) {
                case 's':
                        o->socket = optarg;
                        break;
                case 'c':
                        o->control = optarg;
                        break;
                case 'p':
                        o->policy = optarg;
                        break;
                case 'n':
                        o->name = optarg;
                        break;
                case 'o':
                        o->out = optarg;
                        break;
                case 'r':
                        o->recording = optarg;
                        break;
                case 'k':
                        o->keep = true;
                        break;
                case 'e':
                        o->exp.errno_ret = unotify_errno_from_name(optarg);
                        if (o->exp.errno_ret < 0)
                                return ctl_fail(WHO, EX_USAGE, "--errno: unknown errno \"%s\"",
                                                optarg);
                        break;
                case 'P':
                        o->exp.paths = true;
                        break;
                case 'A':
                        o->exp.audit = true;
                        break;
                case 'j':
                        o->json = true;
                        break;
                case 'h':
                        print_help();
                        return 1;
                default:
                        return EX_USAGE;
                }
        }
        return 0;
}

/* control.sock next to the handoff socket, as the daemon binds it. */
static const char *control_path(struct learn_opts *o, char *buf, size_t size)
{
        _cleanup_(freep) char *copy = NULL;

        if (o->control)
                return o->control;
        if (!o->socket || !(copy = strdup(o->socket)))
                return UNOTIFYCTL_DEFAULT_CONTROL_SOCKET;
        snprintf(buf, size, "%s/control.sock", dirname(copy));
        return buf;
}

static int write_json(const char *path, const json_t *v)
{
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
        int r;

        if (!f)
                return ctl_fail(WHO, EX_CANTCREAT, "%s: %m", path);
        r = json_dumpf(v, f, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 || fputc('\n', f) == EOF;
        if (f == stdout)
                r = fflush(f) != 0 || r;
        else
                r = fclose(f) != 0 || r;
        return r ? ctl_fail(WHO, EX_CANTCREAT, "%s: cannot write", path) : 0;
}

static json_t *load_recording(const char *path, int *ret_code)
{
        json_error_t jerr;
        json_t *v = json_load_file(path, 0, &jerr);

        if (!v) {
                *ret_code = json_error_code(&jerr) == json_error_cannot_open_file
                                    ? ctl_fail(WHO, EX_NOINPUT, "%s", jerr.text)
                                    : ctl_fail(WHO, EX_DATAERR, "%s:%d: %s", path, jerr.line,
                                               jerr.text);
                return NULL;
        }
        if (!learn_is_recording(v)) {
                json_decref(v);
                *ret_code = ctl_fail(WHO, EX_DATAERR,
                                     "%s: not a recording (\"unotifyRecording\": 1)", path);
                return NULL;
        }
        return v;
}

/* Every file merged into the first. */
static json_t *load_merged(char **paths, int n, int *ret_code)
{
        json_t *all = NULL;

        for (int i = 0; i < n; i++) {
                json_t *one = load_recording(paths[i], ret_code);

                if (!one)
                        return json_decref(all), NULL;
                if (!all) {
                        all = one;
                        continue;
                }
                if (learn_merge(all, one) < 0) {
                        *ret_code = ctl_fail(WHO, EX_DATAERR, "%s: cannot merge it", paths[i]);
                        json_decref(one);
                        return json_decref(all), NULL;
                }
                json_decref(one);
        }
        return all;
}

static int daemon_action(struct learn_opts *o, const char *action, const char *name,
                         json_t **ret_reply)
{
        char buf[PATH_MAX];
        _cleanup_(json_decrefp) json_t *req =
                json_pack("{s:s, s:s, s:s?}", "command", "learn", "action", action, "name", name);

        if (!req)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        return unotifyctl_request(control_path(o, buf, sizeof(buf)), req, ret_reply);
}

/* unotify-run next to us (the build tree, an install), else on PATH. */
static const char *unotify_run_path(char *buf, size_t size)
{
        ssize_t n = readlink("/proc/self/exe", buf, size - 16);

        if (n > 0) {
                buf[n] = '\0';
                snprintf(strrchr(buf, '/') + 1, 16, "unotify-run");
                if (access(buf, X_OK) == 0)
                        return buf;
        }
        return "unotify-run";
}

/* Run CMD under unotify-run; its status as a shell gives it. */
static int run_recorded(struct learn_opts *o, char **cmd, int n_cmd)
{
        char run[PATH_MAX], meta[128];
        char **argv = calloc((size_t)n_cmd + 10, sizeof(*argv));
        int k = 0, status;
        pid_t pid;

        if (!argv)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        snprintf(meta, sizeof(meta), LEARN_META_NAME "=%s", o->name);
        argv[k++] = (char *)unotify_run_path(run, sizeof(run));
        if (o->socket) {
                argv[k++] = (char *)"--socket";
                argv[k++] = (char *)o->socket;
        }
        argv[k++] = (char *)"--policy";
        argv[k++] = (char *)o->policy;
        argv[k++] = (char *)"--metadata";
        argv[k++] = meta;
        argv[k++] = (char *)"--";
        for (int i = 0; i < n_cmd; i++)
                argv[k++] = cmd[i];
        pid = fork();
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "%s: cannot run %s: %m\n", WHO, argv[0]);
                _exit(127);
        }
        free(argv);
        if (pid < 0)
                return ctl_fail(WHO, EX_OSERR, "fork: %m");
        /* The command gets the terminal's signals; we wait for it. */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return ctl_fail(WHO, EX_OSERR, "waitpid: %m");
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_record(struct learn_opts *o, char **cmd, int n_cmd)
{
        _cleanup_(json_decrefp) json_t *reply = NULL, *profile = NULL, *dropped = NULL;
        char name[64];
        json_t *rec, *capped;
        int status, r;

        if (!o->out)
                return ctl_fail(WHO, EX_USAGE, "learn needs --out FILE (the profile)");
        if (n_cmd == 0)
                return ctl_fail(WHO, EX_USAGE, "learn needs a command after --");
        if (!o->name) {
                snprintf(name, sizeof(name), "cmd-%d", (int)getpid());
                o->name = name;
        }
        status = run_recorded(o, cmd, n_cmd);
        r = daemon_action(o, "save", o->name, &reply);
        if (r)
                return r;
        rec = json_object_get(reply, "recording");
        if (!learn_is_recording(rec))
                return ctl_fail(WHO, EX_PROTOCOL, "the daemon's recording is malformed");
        if (!o->keep && daemon_action(o, "drop", o->name, &dropped) != 0)
                ctl_warn(WHO, "the recording \"%s\" stays in the daemon", o->name);
        if (o->recording && (r = write_json(o->recording, rec)))
                return r;
        profile = learn_profile(rec, &o->exp);
        if (!profile)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        r = write_json(o->out, profile);
        if (r)
                return r;
        capped = json_object_get(rec, "capped");
        fprintf(stderr,
                "%s: recorded %" JSON_INTEGER_FORMAT
                " calls of %s (%zu rules); %" JSON_INTEGER_FORMAT
                " paths folded to prefixes, %" JSON_INTEGER_FORMAT
                " paths and %" JSON_INTEGER_FORMAT " values not kept (capped); profile in %s\n",
                WHO, json_integer_value(json_object_get(rec, "notifications")), cmd[0],
                json_array_size(json_object_get(profile, "syscalls")),
                json_integer_value(json_object_get(capped, "pathsFolded")),
                json_integer_value(json_object_get(capped, "paths")),
                json_integer_value(json_object_get(capped, "values")), o->out);
        return status;
}

static int cmd_daemon(struct learn_opts *o, const char *action, char **args, int n)
{
        _cleanup_(json_decrefp) json_t *reply = NULL;
        int r;

        if (strcmp(action, "list") != 0 && n != 1)
                return ctl_fail(WHO, EX_USAGE, "learn %s needs NAME", action);
        r = daemon_action(o, action, n ? args[0] : NULL, &reply);
        if (r)
                return r;
        if (strcmp(action, "save") == 0)
                return write_json("-", json_object_get(reply, "recording"));
        if (strcmp(action, "drop") == 0 && !json_is_true(json_object_get(reply, "dropped")))
                return ctl_fail(WHO, EX_DATAERR, "no recording \"%s\"", args[0]);
        if (strcmp(action, "list") == 0 && !o->json) {
                json_t *v;
                size_t i;

                printf("%-24s %-16s %9s %5s %13s %10s\n", "NAME", "POLICY", "LISTENERS", "LIVE",
                       "NOTIFICATIONS", "BYTES");
                json_array_foreach(json_object_get(reply, "recordings"), i, v)
                        printf("%-24s %-16s %9" JSON_INTEGER_FORMAT " %5" JSON_INTEGER_FORMAT
                               " %13" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT "\n",
                               json_string_value(json_object_get(v, "name")),
                               json_string_value(json_object_get(v, "policy")),
                               json_integer_value(json_object_get(v, "listeners")),
                               json_integer_value(json_object_get(v, "live")),
                               json_integer_value(json_object_get(v, "notifications")),
                               json_integer_value(json_object_get(v, "bytes")));
                return 0;
        }
        return o->json || strcmp(action, "list") == 0 ? write_json("-", reply) : 0;
}

static int cmd_files(struct learn_opts *o, const char *verb, char **args, int n)
{
        _cleanup_(json_decrefp) json_t *rec = NULL, *profile = NULL;
        int code = 0;

        if (strcmp(verb, "diff") == 0 && n != 2)
                return ctl_fail(WHO, EX_USAGE, "learn diff needs RECORDING and PROFILE");
        if (n < 1)
                return ctl_fail(WHO, EX_USAGE, "learn %s needs RECORDING...", verb);
        rec = load_merged(args, strcmp(verb, "diff") == 0 ? 1 : n, &code);
        if (!rec)
                return code;
        if (strcmp(verb, "diff") == 0)
                return learn_diff(rec, args[1], o->json);
        if (strcmp(verb, "merge") == 0)
                return write_json(o->out ?: "-", rec);
        profile = learn_profile(rec, &o->exp);
        if (!profile)
                return ctl_fail(WHO, EX_OSERR, "out of memory");
        return write_json(o->out ?: "-", profile);
}

int cmd_learn(int argc, char **argv)
{
        struct learn_opts o = { .policy = LEARN_DEFAULT_POLICY,
                                .exp = {
                                        .errno_ret = EPERM, .max_args = 16, .explicit_paths = 8 } };
        static const char *const file_verbs[] = { "export", "merge", "diff" };
        static const char *const daemon_verbs[] = { "list", "save", "drop" };
        const char *verb = argc > 1 ? argv[1] : NULL;
        int r;

        for (size_t i = 0; verb && i < ELEMENTSOF(file_verbs); i++)
                if (strcmp(verb, file_verbs[i]) == 0 || strcmp(verb, daemon_verbs[i]) == 0) {
                        r = parse_options(argc - 1, argv + 1, &o);
                        if (r)
                                return r == 1 ? 0 : r;
                        if (strcmp(verb, file_verbs[i]) == 0)
                                return cmd_files(&o, verb, argv + 1 + optind, argc - 1 - optind);
                        return cmd_daemon(&o, verb, argv + 1 + optind, argc - 1 - optind);
                }
        r = parse_options(argc, argv, &o);
        if (r)
                return r == 1 ? 0 : r;
        return cmd_record(&o, argv + optind, argc - optind);
}
