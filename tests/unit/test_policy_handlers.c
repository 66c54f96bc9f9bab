/* Handlers: which syscalls each serves and its "handlerOptions", with the
 * exact diagnostics, and what the daemon gets from a loaded policy. */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_helpers.h"

#define HEAD "'name':'h','defaultAction':'SCMP_ACT_ALLOW'"
#define EMU(names, handler, opts)                \
        "{" HEAD ",'syscalls':[{'names':[" names \
        "],'action':'UNOTIFY_ACT_EMULATE','handler':'" handler "'" opts "}]}"

struct bad_case {
        const char *row;
        const char *json;
        const char *diags;
};

static const struct bad_case bad_cases[] = {
        { "open serves no mkdir", EMU("'openat','mkdir'", "open", ""),
          "test.json: /syscalls/0/names/1: handler \"open\" does not serve \"mkdir\" (it serves "
          "open, openat, openat2, creat)" },
        { "mknod serves no open", EMU("'open'", "mknod", ""),
          "test.json: /syscalls/0/names/0: handler \"mknod\" does not serve \"open\" (it serves "
          "mknod, mknodat)" },
        { "options with errno",
          "{" HEAD ",'syscalls':[{'names':['openat'],'action':'SCMP_ACT_ERRNO',"
          "'handlerOptions':{}}]}",
          "test.json: /syscalls/0/handlerOptions: \"handlerOptions\" is only valid with "
          "UNOTIFY_ACT_EMULATE, not SCMP_ACT_ERRNO" },
        { "options not an object", EMU("'openat'", "open", ",'handlerOptions':[]"),
          "test.json: /syscalls/0/handlerOptions: expected an object (the options of handler "
          "\"open\"), got an array" },
        { "unknown option", EMU("'openat'", "open", ",'handlerOptions':{'rewrites':[]}"),
          "test.json: /syscalls/0/handlerOptions: unknown key \"rewrites\" (did you mean "
          "\"rewrite\"?)" },
        { "rewrite not an array", EMU("'openat'", "open", ",'handlerOptions':{'rewrite':{}}"),
          "test.json: /syscalls/0/handlerOptions/rewrite: expected an array of {\"from\", \"to\"} "
          "objects, got an object" },
        { "rewrite relative",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'etc/x','to':'/y'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0/from: expected an absolute path shorter "
          "than 4096 bytes, got \"etc/x\"" },
        { "rewrite not normalized",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'/etc//x/','to':'/y'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0/from: \"/etc//x/\" is not normalized "
          "(write \"/etc/x\")" },
        { "rewrite twice",
          EMU("'openat'", "open",
              ",'handlerOptions':{'rewrite':[{'from':'/a','to':'/y'},"
              "{'from':'/a','to':'/z'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/1/from: \"/a\" is rewritten already (by "
          "rewrite 0)" },
        { "rewrite without to",
          EMU("'openat'", "open", ",'handlerOptions':{'rewrite':[{'from':'/a'}]}"),
          "test.json: /syscalls/0/handlerOptions/rewrite/0: missing required key \"to\"" },
        { "mknod errno unknown", EMU("'mknod'", "mknod", ",'handlerOptions':{'errno':'EFOO'}"),
          "test.json: /syscalls/0/handlerOptions/errno: unknown errno name \"EFOO\" (expected a "
          "name such as \"EPERM\")" },
        { "inject without options", EMU("'socket'", "inject", ""),
          "test.json: /syscalls/0: missing required key \"handlerOptions\" (handler \"inject\" "
          "needs a \"path\")" },
        { "inject without path", EMU("'socket'", "inject", ",'handlerOptions':{'access':'read'}"),
          "test.json: /syscalls/0/handlerOptions: missing required key \"path\"" },
        { "inject bad access",
          EMU("'socket'", "inject", ",'handlerOptions':{'path':'/dev/null','access':'exec'}"),
          "test.json: /syscalls/0/handlerOptions/access: unknown access \"exec\" (expected one of "
          "read, write, readwrite)" },
        { "inject cloexec not a bool",
          EMU("'socket'", "inject", ",'handlerOptions':{'path':'/dev/null','cloexec':1}"),
          "test.json: /syscalls/0/handlerOptions/cloexec: expected true or false, got an integer" },
        { "sched nice out of range",
          EMU("'setpriority'", "sched", ",'handlerOptions':{'minNice':-21}"),
          "test.json: /syscalls/0/handlerOptions/minNice: expected an integer from -20 to 19, got "
          "one out of range" },
        { "sched unknown policy",
          EMU("'sched_setscheduler'", "sched",
              ",'handlerOptions':{'policies':['SCHED_OTHER','SCHED_FOO']}"),
          "test.json: /syscalls/0/handlerOptions/policies/1: unknown scheduling policy "
          "\"SCHED_FOO\" "
          "(expected one of SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR)" },
        { "sysinfo serves sysinfo only", EMU("'uname'", "sysinfo", ""),
          "test.json: /syscalls/0/names/0: handler \"sysinfo\" does not serve \"uname\" (it serves "
          "sysinfo)" },
        { "mount without options", EMU("'mount'", "mount", ""),
          "test.json: /syscalls/0: missing required key \"handlerOptions\" (handler \"mount\" "
          "needs \"types\" and \"targets\")" },
        { "mount unknown type",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs','ext4'],'targets':['/mnt']}"),
          "test.json: /syscalls/0/handlerOptions/types/1: unknown filesystem type \"ext4\" "
          "(expected "
          "one of tmpfs, bind, proc, sysfs, mqueue, devpts, overlay, fuse)" },
        { "mount type not yet",
          EMU("'mount'", "mount", ",'handlerOptions':{'types':['fuseblk'],'targets':['/mnt']}"),
          "test.json: /syscalls/0/handlerOptions/types/0: filesystem type \"fuseblk\" is not "
          "supported yet (expected one of tmpfs, bind, proc, sysfs, mqueue, devpts, overlay, "
          "fuse)" },
        { "mount option of another type",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs','sysfs'],'targets':['/"
              "mnt'],'options':['size','hidepid']}"),
          "test.json: /syscalls/0/handlerOptions/options/1: option \"hidepid\" applies to proc, "
          "which \"types\" does not list" },
        { "mount devpts option without devpts",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['proc'],'targets':['/mnt'],'options':['ptmxmode']}"),
          "test.json: /syscalls/0/handlerOptions/options/0: option \"ptmxmode\" applies to devpts, "
          "which \"types\" does not list" },
        { "mount unknown flag",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs'],'targets':['/"
              "mnt'],'forceFlags':['nosuid','suid']}"),
          "test.json: /syscalls/0/handlerOptions/forceFlags/1: unknown mount flag \"suid\" "
          "(expected "
          "one of nosuid, nodev, noexec, ro, noatime, nodiratime, nosymfollow)" },
        { "mount unknown option",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt'],'options':['size','uid']}"),
          "test.json: /syscalls/0/handlerOptions/options/1: unknown filesystem option \"uid\" "
          "(expected one of size, mode, nr_inodes, hidepid, subset, newinstance, ptmxmode, gid, "
          "lowerdir, upperdir, workdir)" },
        { "mount target not normalized",
          EMU("'mount'", "mount", ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt/']}"),
          "test.json: /syscalls/0/handlerOptions/targets/0: \"/mnt/\" is not normalized (write "
          "\"/mnt\")" },
        { "mount bad size",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt'],'maxSize':'64q'}"),
          "test.json: /syscalls/0/handlerOptions/maxSize: expected a size in bytes (a positive "
          "integer, or a string such as \"64m\"), got a malformed string" },
        { "mount bind without sources",
          EMU("'mount'", "mount", ",'handlerOptions':{'types':['bind'],'targets':['/mnt']}"),
          "test.json: /syscalls/0/handlerOptions: missing required key \"sources\" (type \"bind\" "
          "needs the prefixes its sources must be under)" },
        { "mount overlay without sources",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['overlay'],'targets':['/mnt'],'options':['lowerdir']}"),
          "test.json: /syscalls/0/handlerOptions: missing required key \"sources\" (type "
          "\"overlay\" needs the prefixes its layers must be under)" },
        { "mount idmap without bind",
          EMU("'mount'", "mount",
              ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt'],'idmap':true}"),
          "test.json: /syscalls/0/handlerOptions/idmap: \"idmap\" applies to bind mounts: add "
          "\"bind\" to \"types\"" },
        { "xattr security name",
          EMU("'setxattr'", "xattr",
              ",'handlerOptions':{'names':['trusted.overlay.','security.capability']}"),
          "test.json: /syscalls/0/handlerOptions/names/1: \"security.capability\" is not an "
          "attribute "
          "name of the trusted. or user. namespace (at most 255 bytes)" },
        { "bpf instructions out of range",
          EMU("'bpf'", "bpf", ",'handlerOptions':{'maxInstructions':0}"),
          "test.json: /syscalls/0/handlerOptions/maxInstructions: expected an integer from 1 to "
          "1000000, got one out of range" },
        { "mount serves no mkdir",
          EMU("'mkdir'", "mount", ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt']}"),
          "test.json: /syscalls/0/names/0: handler \"mount\" does not serve \"mkdir\" (it serves "
          "mount, umount2, fsopen, fsconfig, fsmount, move_mount, open_tree, mount_setattr)" },
        { "fsopen without fsmount",
          EMU("'fsopen','fsconfig'", "mount",
              ",'handlerOptions':{'types':['tmpfs'],'targets':['/mnt']}"),
          "test.json: /syscalls/0/names: \"fsopen\" needs \"fsmount\" in the same rule (the "
          "handler's "
          "contexts are configured and mounted by the daemon only)" },
};

ROWS(handlers, bad, bad_cases)

ParameterizedTest(size_t *row, handlers, bad, .timeout = 60)
{
        const struct bad_case *c = &bad_cases[*row];

        cr_log_info("%s", c->row);
        assert_refused(c->json, NULL, c->diags);
}

Test(handlers, options_reach_the_daemon, .timeout = 60)
{
        struct unotify_policy *p = load_ok(
                "{" HEAD ",'syscalls':["
                "{'names':['openat','open'],'action':'UNOTIFY_ACT_EMULATE','handler':'open',"
                "'handlerOptions':{'rewrite':[{'from':'/etc/resolv.conf','to':'/srv/"
                "resolv.conf'}]}},"
                "{'names':['mknodat'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod',"
                "'handlerOptions':{'errno':'EACCES'}},"
                "{'names':['socket'],'action':'UNOTIFY_ACT_EMULATE','handler':'inject',"
                "'handlerOptions':{'path':'/dev/urandom','access':'readwrite','cloexec':true}},"
                "{'names':['mknod'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'},"
                "{'names':['umask'],'action':'SCMP_ACT_ERRNO'}]}");
        const struct unotify_handler_options *o = unotify_policy_handler_options(p, 0);

        cr_assert_not_null(o);
        cr_assert_eq(o->n_rewrites, 1);
        cr_assert_str_eq(o->rewrites[0].from, "/etc/resolv.conf");
        cr_assert_str_eq(o->rewrites[0].to, "/srv/resolv.conf");
        o = unotify_policy_handler_options(p, 1);
        cr_assert_eq(o->refuse_errno, EACCES);
        o = unotify_policy_handler_options(p, 2);
        cr_assert_str_eq(o->inject_path, "/dev/urandom");
        cr_assert_eq(o->inject_access, O_RDWR);
        cr_assert(o->inject_cloexec);
        o = unotify_policy_handler_options(p, 3);
        cr_assert_eq(o->refuse_errno, EPERM, "the default");
        cr_assert_null(unotify_policy_handler_options(p, 4), "not an emulation");
        cr_assert_null(unotify_policy_handler_options(p, 5));
        cr_assert_null(unotify_policy_handler_options(p, -1));
        unotify_policy_unref(p);
}

Test(handlers, options_in_the_effective_dump, .timeout = 60)
{
        struct unotify_policy *p =
                load_ok("{" HEAD ",'syscalls':["
                        "{'names':['socket'],'action':'UNOTIFY_ACT_EMULATE','handler':'inject',"
                        "'handlerOptions':{'path':'/dev/urandom','access':'write'}},"
                        "{'names':['mknod'],'action':'UNOTIFY_ACT_EMULATE','handler':'mknod'}]}");
        char *json = unotify_policy_to_json(p);

        cr_assert_not_null(json);
        cr_assert(strstr(json, "\"handlerOptions\""), "%s", json);
        cr_assert(strstr(json, "\"path\": \"/dev/urandom\""), "%s", json);
        cr_assert(strstr(json, "\"access\": \"write\""), "%s", json);
        cr_assert(strstr(json, "\"cloexec\": false"), "%s", json);
        cr_assert(strstr(json, "\"errno\": \"EPERM\""), "%s", json);
        free(json);
        unotify_policy_unref(p);
}

Test(handlers, unprivileged_container_options, .timeout = 60)
{
        struct unotify_policy *p = load_ok(
                "{" HEAD ",'syscalls':["
                "{'names':['setpriority'],'action':'UNOTIFY_ACT_EMULATE','handler':'sched',"
                "'handlerOptions':{'minNice':-5,'maxRtPriority':10,'policies':['SCHED_OTHER','"
                "SCHED_RR']}},"
                "{'names':['mount','umount2'],'action':'UNOTIFY_ACT_EMULATE','handler':'mount',"
                "'handlerOptions':{'types':['tmpfs','bind'],'targets':['/mnt','/run'],"
                "'sources':['/srv'],'options':['size'],'maxSize':'64m','idmap':true,"
                "'allowFlags':['ro'],'errno':'EACCES'}},"
                "{'names':['sched_setparam'],'action':'UNOTIFY_ACT_EMULATE','handler':'sched'}]}");
        const struct unotify_handler_options *o = unotify_policy_handler_options(p, 0);
        char *json;

        cr_assert_eq(o->sched_min_nice, -5);
        cr_assert_eq(o->sched_max_rt_priority, 10);
        cr_assert_eq(o->sched_policies, 1u << 0 | 1u << 2); /* SCHED_OTHER, SCHED_RR */
        o = unotify_policy_handler_options(p, 1);
        cr_assert_eq(o->mount_types, 3u);
        cr_assert(o->n_mount_targets == 2 && !strcmp(o->mount_targets[1], "/run"));
        cr_assert(o->n_mount_sources == 1 && !strcmp(o->mount_sources[0], "/srv"));
        cr_assert_eq(o->mount_max_size, 64ull << 20);
        cr_assert_eq(o->mount_options, 1u);
        cr_assert(o->mount_idmap);
        cr_assert_eq(o->refuse_errno, EACCES);
        cr_assert_eq(o->mount_force_attrs, 0x2u | 0x4u, "nosuid,nodev by default");
        cr_assert_eq(o->mount_allow_attrs, 0x1u);
        o = unotify_policy_handler_options(p, 2);
        cr_assert_eq(o->sched_min_nice, 0, "the defaults");
        cr_assert_eq(o->sched_max_rt_priority, 0);
        cr_assert_eq(o->sched_policies, 1u << 0 | 1u << 3 | 1u << 5);
        json = unotify_policy_to_json(p);
        cr_assert(strstr(json, "\"maxSize\": 67108864"), "%s", json);
        cr_assert(strstr(json, "\"forceFlags\": [\n"), "%s", json);
        free(json);
        unotify_policy_unref(p);
}

Test(handlers, syscalls_served, .timeout = 60)
{
        size_t n;
        const char *const *s = unotify_handler_syscalls(UNOTIFY_HANDLER_OPEN, &n);

        cr_assert_eq(n, 4);
        cr_assert_str_eq(s[0], "open");
        cr_assert_str_eq(s[3], "creat");
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_MKNOD, &n);
        cr_assert(n == 2 && !strcmp(s[1], "mknodat"));
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_INJECT, &n), "any syscall");
        cr_assert_eq(n, 0);
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_NONE, &n));
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_SYSINFO, &n);
        cr_assert(n == 1 && !strcmp(s[0], "sysinfo"));
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_SCHED, &n);
        cr_assert(n == 4 && !strcmp(s[3], "setpriority"));
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_MOUNT, &n);
        cr_assert(n == 8 && !strcmp(s[0], "mount") && !strcmp(s[2], "fsopen") &&
                  !strcmp(s[7], "mount_setattr"));
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_XATTR, &n);
        cr_assert(n == 6 && !strcmp(s[5], "fremovexattr"));
        s = unotify_handler_syscalls(UNOTIFY_HANDLER_BPF, &n);
        cr_assert(n == 1 && !strcmp(s[0], "bpf"));
        cr_assert_null(unotify_handler_syscalls(UNOTIFY_HANDLER_BPF + 1, &n));
}
