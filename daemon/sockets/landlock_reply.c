/* The "landlock" member of a policy query's reply: the section a launcher
 * turns into a Landlock ruleset (docs/protocol.md). Bounded by the loader:
 * at most UNOTIFY_LANDLOCK_MAX_RULES paths shorter than
 * UNOTIFY_LANDLOCK_PATH_MAX bytes, about 20 KiB. */
#include "sockets/landlock_reply.h"

#include "unotify/landlock.h"

json_t *landlock_reply(const struct unotify_policy *p)
{
        const struct unotify_landlock *ll = unotify_policy_landlock(p);
        json_t *allow, *o;

        if (!ll)
                return NULL;
        allow = json_array();
        for (size_t i = 0; allow && i < ll->n_rules; i++)
                if (json_array_append_new(allow, json_pack("{s:s, s:I}", "path", ll->rules[i].path,
                                                           "access",
                                                           (json_int_t)ll->rules[i].access)) < 0) {
                        json_decref(allow);
                        return NULL;
                }
        o = json_pack("{s:I, s:i, s:o*}", "handled", (json_int_t)ll->handled, "minAbi",
                      (int)ll->min_abi, "allow", allow);
        return o;
}
