/* Medians and spreads of a configuration's samples (one a round). */
#include <stdlib.h>
#include <string.h>

#include "report.h"

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

double stats_median(const double *v, int n)
{
        double s[MAX_ROUNDS];

        memcpy(s, v, sizeof(double) * (size_t)n);
        qsort(s, (size_t)n, sizeof(double), cmp_double);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stats_min(const double *v, int n)
{
        double m = v[0];

        for (int i = 1; i < n; i++)
                m = v[i] < m ? v[i] : m;
        return m;
}

double stats_max(const double *v, int n)
{
        double m = v[0];

        for (int i = 1; i < n; i++)
                m = v[i] > m ? v[i] : m;
        return m;
}
