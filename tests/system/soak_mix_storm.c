/* The mixed jobs' signal storms: each checked job's count of the signals
 * its handler caught, and the tally, with the daemon's word that the
 * user-namespace filters meant to lack WAIT_KILLABLE_RECV did. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "soak_mix.h"

void soak_mix_storm_check(const struct soak_mix_job *j, const char *key, struct soak_storms *st)
{
        const char *p = strstr(j->buf, key);
        unsigned n = 0;

        cr_assert(p && sscanf(p + strlen(key), "%u", &n) == 1, "%s: no storm: %s", j->dir, j->buf);
        cr_assert_gt(n, 0, "%s: no signal caught: %s", j->dir, j->buf);
        st->jobs++;
        st->signals += n;
}

/* The daemon's lines for the handoffs of user-namespace and bpf listeners
 * without WAIT_KILLABLE_RECV ("container utarget ... policy soak-u (...);
 * WAIT_KILLABLE_RECV no"). */
static unsigned nokill_handoffs(const struct test_daemon *d)
{
        FILE *f = fopen(d->log, "re");
        char line[4096];
        unsigned n = 0;

        cr_assert_not_null(f, "%s", d->log);
        while (fgets(line, sizeof(line), f))
                n += strstr(line, "WAIT_KILLABLE_RECV no") &&
                     strstr(line, "container utarget pid ") && strstr(line, "policy soak-u (");
        fclose(f);
        return n;
}

void soak_mix_storm_report(const struct soak_mix *m)
{
        unsigned handoffs = nokill_handoffs(m->d);

        unsigned checked = m->st_unpriv_nokill.jobs + m->st_bpf_nokill.jobs;

        printf("soak: mixed jobs under a SIGUSR1 storm every 50 us, checked: %u multi-threaded "
               "(%llu signals caught; unotify-run's filter, with WAIT_KILLABLE_RECV); "
               "user-namespace: %u with WAIT_KILLABLE_RECV (%llu signals), %u without (%llu "
               "signals), each tmpfs mounted once and unmounted once; bpf: %u with (%llu "
               "signals), %u without (%llu signals), each program attached and detached once; "
               "%u of the %u started without it handed off so\n",
               m->st_threads.jobs, m->st_threads.signals, m->st_unpriv.jobs, m->st_unpriv.signals,
               m->st_unpriv_nokill.jobs, m->st_unpriv_nokill.signals, m->st_bpf.jobs,
               m->st_bpf.signals, m->st_bpf_nokill.jobs, m->st_bpf_nokill.signals, handoffs,
               m->nokill_started);
        fflush(stdout);
        cr_assert_gt(m->st_threads.jobs, 0);
        cr_assert_gt(m->st_unpriv.jobs, 0);
        cr_assert_gt(m->st_unpriv_nokill.jobs, 0);
        cr_assert(!m->cg[0] || (m->st_bpf.jobs > 0 && m->st_bpf_nokill.jobs > 0),
                  "bpf jobs under a storm: %u with WAIT_KILLABLE_RECV, %u without", m->st_bpf.jobs,
                  m->st_bpf_nokill.jobs);
        /* Each one checked was handed off (without the flag); a killed
         * one may have died before. */
        cr_assert(handoffs >= checked && handoffs <= m->nokill_started,
                  "%u handoffs without WAIT_KILLABLE_RECV logged for %u started, %u checked",
                  handoffs, m->nokill_started, checked);
}
