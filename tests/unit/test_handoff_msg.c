/* The handoff-message parser: the first thing a hostile sender reaches. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "../../daemon/sockets/handoff_msg.h"
#include "unotify/macro.h"

static int scan_all(const char *s, size_t *end)
{
        struct json_scan sc = {};
        int r = json_scan_feed(&sc, s, strlen(s));

        *end = sc.end;
        return r;
}

Test(json_scan, complete_object_ends_at_brace, .timeout = 60)
{
        size_t end;

        cr_assert_eq(scan_all("{\"a\":{\"b\":[1,2]}}\n", &end), 1);
        cr_assert_eq(end, strlen("{\"a\":{\"b\":[1,2]}}"));
}

Test(json_scan, braces_inside_strings_do_not_count, .timeout = 60)
{
        size_t end;

        cr_assert_eq(scan_all("{\"a\":\"}{\\\"}\"}", &end), 1);
        cr_assert_eq(end, strlen("{\"a\":\"}{\\\"}\"}"));
        cr_assert_eq(scan_all("{\"a\":\"}", &end), 0);
}

Test(json_scan, byte_by_byte_gives_same_end, .timeout = 60)
{
        const char *s = "  {\"metadata\":\"a=b\\n\",\"fds\":[\"seccompFd\"]}  trailing";
        struct json_scan sc = {};
        size_t i;
        int r = 0;

        for (i = 1; i <= strlen(s) && r == 0; i++)
                r = json_scan_feed(&sc, s, i);
        cr_assert_eq(r, 1);
        cr_assert_eq(sc.end, strlen("  {\"metadata\":\"a=b\\n\",\"fds\":[\"seccompFd\"]}"));
}

Test(json_scan, rejects_non_objects_and_deep_nesting, .timeout = 60)
{
        char deep[200];
        size_t end;

        cr_assert_eq(scan_all("[1]", &end), -EBADMSG);
        cr_assert_eq(scan_all("garbage", &end), -EBADMSG);
        cr_assert_eq(scan_all("{]]", &end), 1, "a mismatched bracket is left to the JSON parser");
        cr_assert_eq(end, 2);
        memset(deep, '[', sizeof(deep));
        deep[0] = '{';
        deep[sizeof(deep) - 1] = '\0';
        cr_assert_eq(scan_all(deep, &end), -EBADMSG);
}

#define STATE(fds, pid, meta, state) \
        "{\"ociVersion\":\"1.0.2\",\"fds\":" fds ",\"pid\":" pid meta ",\"state\":" state "}"
#define GOOD_STATE                                                                               \
        "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,\"bundle\":" \
        "\"/b\"}"

Test(handoff_msg, runc_style_state, .timeout = 60)
{
        const char *s = STATE(
                "[\"seccompFd\"]", "42",
                ",\"metadata\":\"policy=deny-mkdir\\nunotify.syscalls-digest=00ff\\nother=x\"",
                GOOD_STATE);
        struct handoff_msg m;
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(s, strlen(s), 1, &m, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(m.kind, HANDOFF_STATE);
        cr_assert_eq(m.seccomp_fd_index, 0);
        cr_assert_eq(m.pid, 42);
        cr_assert_str_eq(m.container_id, "c1");
        cr_assert_str_eq(m.policy, "deny-mkdir");
        cr_assert_str_eq(m.metadata, "policy=deny-mkdir\nunotify.syscalls-digest=00ff\nother=x");
        cr_assert_eq(m.n_annotations, 0);
        cr_assert(m.has_digest);
        cr_assert_eq(m.digest, 0xff);
        handoff_msg_clear(&m);
}

/* What the sender says about its filter's flags: kept, checked for form. */
Test(handoff_msg, seccomp_flags_metadata, .timeout = 60)
{
        const char *s = STATE("[\"seccompFd\"]", "42", ",\"metadata\":\"unotify.seccomp-flags=2c\"",
                              GOOD_STATE);
        const char *bad = STATE("[\"seccompFd\"]", "42",
                                ",\"metadata\":\"unotify.seccomp-flags=yes\"", GOOD_STATE);
        struct handoff_msg m;
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(s, strlen(s), 1, &m, err, sizeof(err)), 0, "%s", err);
        cr_assert(m.has_seccomp_flags);
        cr_assert_eq(m.seccomp_flags, 0x2c);
        handoff_msg_clear(&m);
        cr_assert_eq(handoff_msg_parse(bad, strlen(bad), 1, &m, err, sizeof(err)), -EBADMSG);
        cr_assert_str_eq(err, "metadata \"unotify.seccomp-flags\" is not 1-16 hex digits");
}

Test(handoff_msg, crun_exec_pid_zero_and_pretty_json, .timeout = 60)
{
        const char *s =
                "{\n  \"ociVersion\": \"1.0.0\",\n  \"fds\": [\n    \"seccompFd\"\n  ],\n"
                "  \"pid\": 0,\n  \"state\": {\n    \"ociVersion\": \"1.0.0\",\n    \"id\": "
                "\"ctr\",\n"
                "    \"status\": \"running\",\n    \"pid\": 0,\n    \"bundle\": \".\"\n  }\n}\n";
        struct handoff_msg m;
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(s, strlen(s), 1, &m, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(m.pid, 0);
        cr_assert_null(m.policy);
        cr_assert_not(m.has_digest);
        handoff_msg_clear(&m);
}

Test(handoff_msg, annotations_are_kept_for_selection, .timeout = 60)
{
        const char *s = STATE("[\"seccompFd\"]", "7", "",
                              "{\"id\":\"pod\",\"annotations\":{\"io.kubernetes.pod.name\":\"web\","
                              "\"io.kubernetes.cri.sandbox-namespace\":\"prod\"}}");
        struct handoff_msg m;
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(s, strlen(s), 1, &m, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(m.n_annotations, 2);
        cr_assert_str_eq(m.annotations[0], "io.kubernetes.pod.name");
        cr_assert_str_eq(m.annotations[1], "web");
        cr_assert_str_eq(m.annotations[2], "io.kubernetes.cri.sandbox-namespace");
        cr_assert_str_eq(m.annotations[3], "prod");
        cr_assert_null(m.metadata);
        handoff_msg_clear(&m);
}

Test(handoff_msg, query, .timeout = 60)
{
        const char *s = "{\"unotifyQuery\":\"policy\",\"policy\":\"demo\"}";
        struct handoff_msg m;
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(s, strlen(s), 0, &m, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(m.kind, HANDOFF_QUERY);
        cr_assert_str_eq(m.query_policy, "demo");
        handoff_msg_clear(&m);
}

/* Arrays, not pointers: Criterion copies parameters into a re-executed
 * worker where a PIE binary's pointers would not be valid. */
struct bad_msg {
        char json[256];
        size_t n_fds;
        char error[128];
};

static struct bad_msg bad_msgs[] = {
        { "{", 1, "not valid JSON: string or '}' expected near end of file (line 1, column 1)" },
        { "[]", 0, "the message must be a JSON object" },
        { "{\"a\":1,\"a\":2}", 0,
          "not valid JSON: duplicate object key near '\"a\"' (line 1, column 10)" },
        { STATE("[\"seccompFd\"]", "1", "", GOOD_STATE), 0,
          "\"fds\" names 1 fds but 0 were received" },
        { STATE("[\"seccompFd\"]", "1", "", GOOD_STATE), 2,
          "\"fds\" names 1 fds but 2 were received" },
        { STATE("[\"other\"]", "1", "", GOOD_STATE), 1, "no \"seccompFd\" in \"fds\"" },
        { STATE("[\"seccompFd\",\"seccompFd\"]", "1", "", GOOD_STATE), 2,
          "\"fds\" names \"seccompFd\" twice" },
        { STATE("[7]", "1", "", GOOD_STATE), 1, "\"fds\"[0] is not a string" },
        { STATE("\"seccompFd\"", "1", "", GOOD_STATE), 1, "\"fds\" must be an array of names" },
        { STATE("[\"seccompFd\"]", "-4", "", GOOD_STATE), 1, "\"pid\" must be a non-negative pid" },
        { STATE("[\"seccompFd\"]", "\"1\"", "", GOOD_STATE), 1,
          "\"pid\" must be a non-negative pid" },
        { STATE("[\"seccompFd\"]", "1", ",\"metadata\":5", GOOD_STATE), 1,
          "\"metadata\" must be a string" },
        { STATE("[\"seccompFd\"]", "1", ",\"metadata\":\"policy\"", GOOD_STATE), 1,
          "metadata line \"policy\" is not KEY=VALUE" },
        { STATE("[\"seccompFd\"]", "1", ",\"metadata\":\"policy=\"", GOOD_STATE), 1,
          "metadata \"policy\" is empty" },
        { STATE("[\"seccompFd\"]", "1", ",\"metadata\":\"policy=a\\npolicy=b\"", GOOD_STATE), 1,
          "metadata names \"policy\" twice" },
        { STATE("[\"seccompFd\"]", "1", ",\"metadata\":\"unotify.syscalls-digest=xyz\"",
                GOOD_STATE),
          1, "metadata \"unotify.syscalls-digest\" is not 1-16 hex digits" },
        { "{\"metadata\":\"a=\\u0000\"}", 1,
          "not valid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a=\\u0000\"' "
          "(line 1, column 22)" },
        { STATE("[\"seccompFd\"]", "1", "", "[]"), 1, "\"state\" must be an object" },
        { STATE("[\"seccompFd\"]", "1", "", "{\"id\":3}"), 1, "\"state.id\" must be a string" },
        { STATE("[\"seccompFd\"]", "1", "", "{\"id\":\"\"}"), 1,
          "\"state.id\" must be 1-1024 bytes" },
        { STATE("[\"seccompFd\"]", "1", "", "{\"id\":\"c\",\"annotations\":[]}"), 1,
          "\"state.annotations\" must be an object" },
        { STATE("[\"seccompFd\"]", "1", "", "{\"id\":\"c\",\"annotations\":{\"a\":\"b\",\"k\":1}}"),
          1, "annotation \"k\" is not a string" },
        { "{\"fds\":[],\"state\":{}}", 0, "\"ociVersion\" must be a string" },
        { "{\"unotifyQuery\":\"policy\",\"policy\":\"x\"}", 1, "a query carries no fds" },
        { "{\"unotifyQuery\":\"other\",\"policy\":\"x\"}", 0,
          "\"unotifyQuery\" must be \"policy\"" },
        { "{\"unotifyQuery\":\"policy\"}", 0, "\"policy\" must be a string" },
};

ParameterizedTestParameters(handoff_msg, bad)
{
        return cr_make_param_array(struct bad_msg, bad_msgs, ELEMENTSOF(bad_msgs));
}

ParameterizedTest(struct bad_msg *b, handoff_msg, bad, .timeout = 60)
{
        struct handoff_msg m = { .pid = 12345 };
        char err[256] = "";

        cr_assert_eq(handoff_msg_parse(b->json, strlen(b->json), b->n_fds, &m, err, sizeof(err)),
                     -EBADMSG, "accepted: %s", b->json);
        cr_assert_str_eq(err, b->error, "for %s", b->json);
        cr_assert_eq(m.pid, 12345, "ret must be untouched on failure");
}

Test(handoff_msg, metadata_limits, .timeout = 60)
{
        static char meta[HANDOFF_METADATA_MAX + 2];
        char *s;
        struct handoff_msg m;
        char err[256] = "";

        memset(meta, 'a', sizeof(meta) - 1);
        cr_assert(asprintf(&s, STATE("[\"seccompFd\"]", "1", ",\"metadata\":\"%s\"", GOOD_STATE),
                           meta) > 0);
        cr_assert_eq(handoff_msg_parse(s, strlen(s), 1, &m, err, sizeof(err)), -EBADMSG);
        cr_assert_str_eq(err, "\"metadata\" is longer than 16384 bytes");
        free(s);
}
