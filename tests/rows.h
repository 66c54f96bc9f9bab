/* Parameterized Criterion tests over a table, by row number. */
#pragma once

#include <criterion/parameterized.h>
#include <stddef.h>

/* Parameterized tests get the index of their row: Criterion copies the
 * parameters into a worker that may have another address layout, where
 * the pointers inside a row would dangle; the worker's own copy of the
 * table does not. */
#define ROWS(suite, name, table)                                                          \
        ParameterizedTestParameters(suite, name)                                          \
        {                                                                                 \
                static size_t rows[sizeof(table) / sizeof((table)[0])];                   \
                for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)               \
                        rows[i] = i;                                                      \
                return cr_make_param_array(size_t, rows, sizeof(rows) / sizeof(rows[0])); \
        }
