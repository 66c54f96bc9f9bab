/* unotifyctl test: the dry run, as an admin types it. Runs the built
 * binary (the build's client/unotifyctl). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy_helpers.h"

#define CTL UNOTIFY_BUILD_DIR "/client/unotifyctl"
#define EXAMPLES UNOTIFY_SOURCE_DIR "/policy/examples"

struct result {
        int status;
        char out[8192];
        char err[8192];
};

static void slurp(int fd, char *buf, size_t size)
{
        size_t len = 0;
        ssize_t n;

        while (len + 1 < size && (n = read(fd, buf + len, size - len - 1)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(fd);
}

/* argv without the program; NULL-terminated. */
static void ctl(const char *const *argv, struct result *r)
{
        const char *full[32] = { CTL };
        int out[2], err[2], status;
        pid_t pid;
        size_t n = 1;

        cr_assert_eq(access(CTL, X_OK), 0, "%s is not built", CTL);
        for (; argv[n - 1] && n < 31; n++)
                full[n] = argv[n - 1];
        full[n] = NULL;
        cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
        cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
        pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                dup2(out[1], 1);
                dup2(err[1], 2);
                execv(CTL, (char *const *)full);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        slurp(out[0], r->out, sizeof(r->out));
        slurp(err[0], r->err, sizeof(r->err));
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status));
        r->status = WEXITSTATUS(status);
}

#define CTL_EXPECT(status_, out_, ...)                                                        \
        do {                                                                                  \
                static struct result r_;                                                      \
                ctl((const char *const[]){ __VA_ARGS__, NULL }, &r_);                         \
                cr_assert_eq(r_.status, status_, "exit %d: %s%s", r_.status, r_.out, r_.err); \
                if (out_)                                                                     \
                        cr_assert_str_eq(r_.out, (const char *)(out_), "stderr: %s", r_.err); \
        } while (0)

TestSuite(ctl, .init = make_tmpdir, .fini = remove_tmpdir, .timeout = 30);

Test(ctl, examples)
{
        CTL_EXPECT(0, "/syscalls/0 -> SCMP_ACT_ERRNO EPERM\n", "test", "-p", EXAMPLES, "demo",
                   "mkdir", "\"/tmp/x\"", "0755");
        CTL_EXPECT(0, "/syscalls/1 -> SCMP_ACT_ALLOW\n", "test", "--policy-dir", EXAMPLES, "demo",
                   "uname", "0");
        CTL_EXPECT(0, "kernel: /defaultAction -> SCMP_ACT_ALLOW\n", "test", "-p", EXAMPLES, "demo",
                   "getpid");
        CTL_EXPECT(0, "kernel: /syscalls/3 -> SCMP_ACT_ERRNO EPERM\n", "test", "-p", EXAMPLES,
                   "container-hardening", "mknodat", "AT_FDCWD", "/dev/sda", "S_IFBLK|0600", "0");
        CTL_EXPECT(0, "kernel: /defaultAction -> SCMP_ACT_ALLOW\n", "test", "-p", EXAMPLES,
                   "container-hardening", "mknodat", "AT_FDCWD", "/tmp/fifo", "S_IFIFO|0600", "0");
        CTL_EXPECT(0, "kernel: /syscalls/0 -> SCMP_ACT_LOG\n", "test", "-p", EXAMPLES, "audit",
                   "execve", "/bin/true", "0", "0");
        CTL_EXPECT(0, "kernel: /syscalls/0 -> SCMP_ACT_ERRNO EPERM\n", "test",
                   EXAMPLES "/deny-mkdir.json", "mkdirat", "-100", "\"d\"", "0700");
}

/* A deny-by-default policy: what it leaves out, the kernel denies. */
Test(ctl, kernel_keeps_the_default)
{
        write_file("d.json", "{'name':'d','defaultAction':'SCMP_ACT_ERRNO','syscalls':["
                             "{'names':['getpid'],'action':'SCMP_ACT_ALLOW'}]}");
        CTL_EXPECT(0, "kernel: /defaultAction -> SCMP_ACT_ERRNO EPERM\n", "test", "-p", tmpdir, "d",
                   "keyctl", "0");
        CTL_EXPECT(0, "kernel: /syscalls/0 -> SCMP_ACT_ALLOW\n", "test", "-p", tmpdir, "d",
                   "getpid");
}

/* The argument names Docker's profile is written in terms of. The two
 * socket rules overlap, so the daemon decides socket (no "kernel:"). */
#define SYMBOLS_POLICY                                                     \
        "{'name':'s','defaultAction':'SCMP_ACT_ERRNO','syscalls':["        \
        "{'names':['socket'],'action':'SCMP_ACT_ERRNO','errnoRet':97,"     \
        "'args':[{'index':0,'value':40,'op':'SCMP_CMP_EQ'}]},"             \
        "{'names':['socket'],'action':'SCMP_ACT_ALLOW'},"                  \
        "{'names':['personality'],'action':'SCMP_ACT_ALLOW',"              \
        "'args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'}]},"              \
        "{'names':['clone'],'action':'SCMP_ACT_ALLOW','args':[{'index':0," \
        "'value':2114060288,'op':'SCMP_CMP_MASKED_EQ','valueTwo':0}]}]}"

Test(ctl, symbols)
{
        write_file("s.json", SYMBOLS_POLICY);
        CTL_EXPECT(0, "/syscalls/0 -> SCMP_ACT_ERRNO EAFNOSUPPORT\n", "test", "-p", tmpdir, "s",
                   "socket", "AF_VSOCK", "SOCK_STREAM|SOCK_CLOEXEC", "0");
        CTL_EXPECT(0, "/syscalls/1 -> SCMP_ACT_ALLOW\n", "test", "-p", tmpdir, "s", "socket",
                   "AF_ALG", "SOCK_SEQPACKET", "0");
        CTL_EXPECT(0, "kernel: /syscalls/2 -> SCMP_ACT_ALLOW\n", "test", "-p", tmpdir, "s",
                   "personality", "PER_LINUX32");
        CTL_EXPECT(0, "kernel: /defaultAction -> SCMP_ACT_ERRNO EPERM\n", "test", "-p", tmpdir, "s",
                   "personality", "PER_BSD");
        CTL_EXPECT(0, "kernel: /syscalls/3 -> SCMP_ACT_ALLOW\n", "test", "-p", tmpdir, "s", "clone",
                   "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|SIGCHLD");
        CTL_EXPECT(0, "kernel: /defaultAction -> SCMP_ACT_ERRNO EPERM\n", "test", "-p", tmpdir, "s",
                   "clone", "CLONE_NEWUSER|SIGCHLD");
}

Test(ctl, exit_codes)
{
        CTL_EXPECT(65, "", "test", "-p", EXAMPLES, "demo", "frobnicate");
        CTL_EXPECT(78, "", "test", "-p", EXAMPLES, "nosuchpolicy", "mkdir");
        CTL_EXPECT(64, "", "test", "-p", EXAMPLES, "demo", "mkdir", "O_BOGUS");
        CTL_EXPECT(64, "", "test", "-p", EXAMPLES, "demo");
        CTL_EXPECT(64, "", "test", "--arch", "vax", "demo", "mkdir");
        CTL_EXPECT(64, "", "test", "--caps", "CAP_NOPE", "demo", "mkdir");
        CTL_EXPECT(64, "", "frob");
        CTL_EXPECT(64, "", "test", "--bogus-option", "demo", "mkdir");
        CTL_EXPECT(69, "", "status");
        CTL_EXPECT(69, "", "reload");
        CTL_EXPECT(0, "unotifyctl " UNOTIFY_VERSION "\n", "--version");
        CTL_EXPECT(0, NULL, "--help");
        write_file("bad.json", "{'name':'bad'}");
        CTL_EXPECT(78, "", "test", "-p", tmpdir, "bad", "mkdir");
}

#define PATHS_POLICY                                                                           \
        "{'name':'p','defaultAction':'SCMP_ACT_ALLOW','include':['base'],'syscalls':["         \
        "{'names':['openat'],'action':'SCMP_ACT_ERRNO','errno':'EACCES',"                      \
        "'paths':[{'index':1,'dirfd':0,'prefix':'/etc/ssl/private'}]},"                        \
        "{'names':['mount'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['CAP_SYS_ADMIN']}}," \
        "{'names':['mount'],'action':'UNOTIFY_ACT_RETURN','returnValue':0},"                   \
        "{'names':['socket'],'action':'UNOTIFY_ACT_EMULATE','handler':'inject',"               \
        "'handlerOptions':{'path':'/dev/null'}},"                                              \
        "{'names':['openat'],'action':'UNOTIFY_ACT_EMULATE','handler':'open'}]}"

Test(ctl, paths_caps_includes_arches)
{
        write_file("p.json", PATHS_POLICY);
        write_file("base.json", "{'name':'base','defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                                "{'names':['bpf'],'action':'SCMP_ACT_KILL_PROCESS'}]}");
        CTL_EXPECT(0, "/syscalls/0 -> SCMP_ACT_ERRNO EACCES\n", "test", "-p", tmpdir, "p", "openat",
                   "AT_FDCWD", "\"/etc/ssl/private/key\"", "O_RDONLY");
        CTL_EXPECT(0, "/syscalls/0 -> SCMP_ACT_ERRNO EACCES\n", "test", "-p", tmpdir, "--cwd",
                   "/etc/ssl", "p", "openat", "AT_FDCWD", "\"./private//key\"", "0");
        CTL_EXPECT(0, "/syscalls/4 -> UNOTIFY_ACT_EMULATE open\n", "test", "-p", tmpdir, "p",
                   "openat", "AT_FDCWD", "\"/etc/passwd\"", "0");
        CTL_EXPECT(0,
                   "/syscalls/0 -> SCMP_ACT_ERRNO EBADF (a path could not be read: Bad file "
                   "descriptor)\n",
                   "test", "-p", tmpdir, "p", "openat", "3", "\"private/key\"", "0");
        CTL_EXPECT(0, "/syscalls/2 -> UNOTIFY_ACT_RETURN 0\n", "test", "-p", tmpdir, "p", "mount");
        CTL_EXPECT(0, "/syscalls/1 -> SCMP_ACT_ALLOW\n", "test", "-p", tmpdir, "--caps",
                   "CAP_CHOWN,CAP_SYS_ADMIN", "p", "mount");
        CTL_EXPECT(0, "kernel: base:/syscalls/0 -> SCMP_ACT_KILL_PROCESS\n", "test", "-p", tmpdir,
                   "p", "bpf");
#if defined(__x86_64__)
        CTL_EXPECT(0, "/syscalls/3 -> UNOTIFY_ACT_EMULATE inject\n", "test", "-p", tmpdir, "--arch",
                   "x86", "p", "socketcall", "1", "0");
        CTL_EXPECT(0, "/syscalls/3 -> UNOTIFY_ACT_EMULATE inject\n", "test", "-p", tmpdir, "--arch",
                   "x86", "p", "socket", "AF_INET", "SOCK_STREAM", "0");
        CTL_EXPECT(0, "/syscalls/3 -> UNOTIFY_ACT_EMULATE inject\n", "test", "-p", tmpdir, "--arch",
                   "x32", "p", "socket", "2", "1", "0");
#endif
}

Test(ctl, json)
{
        static struct result r;

        ctl((const char *const[]){ "test", "--json", "-p", EXAMPLES, "deny-mkdir", "mkdirat",
                                   "AT_FDCWD", "\"d\"", "0x1ff", NULL },
            &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "\"pointer\": \"/syscalls/0\""), "%s", r.out);
        cr_assert(strstr(r.out, "\"answer\": \"SCMP_ACT_ERRNO EPERM\""), "%s", r.out);
        cr_assert(strstr(r.out, "\"errnoRet\": 1"), "%s", r.out);
        cr_assert(strstr(r.out, "\"args\": [\n    -100,\n    \"d\",\n    511\n  ]"), "%s", r.out);
        ctl((const char *const[]){ "show", "-p", EXAMPLES, "demo", NULL }, &r);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert(strstr(r.out, "\"name\": \"demo\""), "%s", r.out);
        cr_assert(strstr(r.out,
                         "\"notified\": [\n    \"mkdir\",\n    \"mkdirat\",\n    \"uname\"\n  ]"),
                  "%s", r.out);
}

/* The JSON Schema accepts every shipped example and refuses what the
 * loader refuses for the same reason (where a schema can say it). Needs
 * python3 with jsonschema; the machines of this project have it. */
Test(ctl, schema_matches_examples)
{
        static const char script[] =
                "import glob, json, sys\n"
                "try:\n"
                "    import jsonschema\n"
                "except ImportError:\n"
                "    sys.exit(77)\n"
                "s = json.load(open(sys.argv[1] + '/policy/unotify-policy.schema.json'))\n"
                "jsonschema.Draft202012Validator.check_schema(s)\n"
                "v = jsonschema.Draft202012Validator(s)\n"
                "files = sorted(glob.glob(sys.argv[1] + '/policy/examples/*.json'))\n"
                "assert len(files) == 8, files\n"
                "for f in files:\n"
                "    errors = [e.message for e in v.iter_errors(json.load(open(f)))]\n"
                "    assert not errors, (f, errors)\n"
                "bad = {'name': 'x', 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': "
                "['openat'], 'action': 'SCMP_ACT_ALLOW', 'paths': [{'index': 1, 'exact': "
                "'/x'}]}]}\n"
                "assert list(v.iter_errors(bad)), 'TOCTOU rule accepted'\n"
                "bad = {'name': 'x', 'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': "
                "['socket'], 'action': 'UNOTIFY_ACT_EMULATE', 'handler': 'inject'}]}\n"
                "assert list(v.iter_errors(bad)), 'inject without a path accepted'\n";
        int status;
        pid_t pid = fork();

        cr_assert_geq(pid, 0);
        if (pid == 0) {
                /* Debian's python3, where apt puts python3-jsonschema. */
                execl("/usr/bin/python3", "python3", "-c", script, UNOTIFY_SOURCE_DIR,
                      (char *)NULL);
                _exit(77);
        }
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                cr_skip_test("python3 with jsonschema is not installed");
        cr_assert_eq(WEXITSTATUS(status), 0);
}
