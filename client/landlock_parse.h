/* libunotify's reading of a query reply's "landlock" member
 * (docs/protocol.md). Internal. */
#pragma once

#include <jansson.h>

#include "unotify/landlock.h"

/* v: the member, or NULL when the reply has none (*ret stays NULL). Every
 * bound the loader enforces is checked again: at most
 * UNOTIFY_LANDLOCK_MAX_RULES rules, absolute paths shorter than
 * UNOTIFY_LANDLOCK_PATH_MAX without NUL, rights within the known ones and
 * each rule's within "handled". *ret: malloc'ed, on success only.
 * Returns 0, -EBADMSG or -ENOMEM. */
int landlock_parse(json_t *v, struct unotify_landlock **ret);
