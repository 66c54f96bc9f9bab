/* What a handoff message becomes: a query's answer (the policy's filter
 * and digest), or a listener added to the set under the policy selected
 * for it (deny-all when none is, so a mistake never turns into a silent
 * allow). */
#pragma once

struct conn;

/* c's whole JSON value is in (c->scan.end): parse it and answer. */
void handoff_answer(struct conn *c);
