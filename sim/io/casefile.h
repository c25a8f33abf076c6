/* SPDX-License-Identifier: MIT
 *
 * Stored regression cases (SPEC §6 `check`): the files of one case folder
 * and the comparison of a stored schedule with a fresh one.
 *
 * A case folder holds case.ini, an INI file with one [case] section:
 *
 *   [case]
 *   description = token bucket 3/s burst 1, four at 0   ; free text
 *   scenario    = scenario.ini     ; relative to the case folder
 *   workload    = workload.csv     ; or ../../workloads/demo.csv
 *   seed        = 7                ; optional: replaces the scenario's seed
 *   algo        = gcra             ; optional: as `run --algo`
 *   digest      = 32 hex digits    ; optional: the run's digest
 *
 * and expected.csv, the header `req_id,attempt,provider,t_dispatch,t_done,
 * outcome` then one row per attempt in strictly increasing (req_id,
 * attempt) order: times in integer nanoseconds, empty when NULL, the
 * provider by name (empty when none). Rows are held as case_row values
 * in a growable case_rows array: cases are small by design.
 *
 * Nothing here prints. Functions return 0, or 2 (bad input: a missing
 * file, a bad line) or 3 (a failed write), with one line in err:
 * "path:line: field: what is wrong".
 */
#ifndef RS_SIM_IO_CASEFILE_H
#define RS_SIM_IO_CASEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/engine.h"

#define CASE_INI "case.ini"
#define CASE_EXPECTED "expected.csv"
#define CASE_HEADER "req_id,attempt,provider,t_dispatch,t_done,outcome"

/* What case.ini says, with paths already joined to the case folder. */
typedef struct case_def {
    char *scenario;
    char *workload;
    char *algo;                 /* NULL: the scenario's algorithms */
    uint64_t seed;
    int has_seed;
    char digest[33];            /* "" when none is stored */
} case_def;

/* One row of expected.csv (or of a fresh run, in the same terms). */
typedef struct case_row {
    int64_t req_id;
    int32_t attempt;
    int outcome;                /* SIM_OK ... */
    sim_time t_dispatch;        /* SIM_NONE when empty */
    sim_time t_done;
    int64_t line;               /* its line in expected.csv; 0: a fresh row */
    char provider[SIM_NAME_MAX];  /* "" when none */
} case_row;

typedef struct case_rows {
    case_row *v;
    size_t n, cap;
} case_rows;

/* The first difference between two sorted row lists. */
typedef struct case_diff {
    size_t ndiff;               /* keys whose rows differ or are missing */
    const case_row *expected;   /* first differing row; NULL: none there */
    const case_row *actual;
} case_diff;

/* Reads dir/case.ini into *c (zeroed first). Returns 0, or 2 with
 * "dir/case.ini:line: key: what is wrong"; on failure *c holds nothing. */
int case_load(const char *dir, case_def *c, char *err, size_t errlen);
void case_clear(case_def *c);

/* Writes dir/case.ini for a new case, refusing to replace one. The
 * strings are written as given (relative paths stay relative); algo may
 * be NULL, has_seed 0. Returns 0, 2 if it exists, 3 on a write error. */
int case_create(const char *dir, const char *description,
                const char *scenario, const char *workload, const char *algo,
                uint64_t seed, int has_seed, char *err, size_t errlen);

/* Replaces the digest line of dir/case.ini (or adds one), keeping every
 * other line as it was. The file is replaced whole (write, then rename).
 * Returns 0, 2 if it cannot be read, 3 if it cannot be written. */
int case_set_digest(const char *dir, const char *hex, char *err,
                    size_t errlen);

/* Copies the file src to dst ("-": standard input), refusing to replace
 * dst. Returns 0, 2 if src cannot be read, 3 if dst cannot be written. */
int case_copy_file(const char *src, const char *dst, char *err,
                   size_t errlen);

/* Appends a copy of *r. Returns 0, or 3 when out of memory. */
int case_rows_push(case_rows *rows, const case_row *r);
/* Sorts by (req_id, attempt). */
void case_rows_sort(case_rows *rows);
void case_rows_clear(case_rows *rows);

/* Reads an expected.csv into *rows (appended, each with its line number).
 * Blank lines and lines starting with '#' are skipped. Returns 0, 2 with a
 * located message, or 3 when out of memory. */
int case_read_expected(const char *path, case_rows *rows, char *err,
                       size_t errlen);

/* Writes rows (sorted) as an expected.csv, replacing path whole (write,
 * then rename). Returns 0, or 3 with a message. */
int case_write_expected(const char *path, const case_rows *rows, char *err,
                        size_t errlen);

/* Writes the row as its expected.csv line (no newline) into buf and
 * returns buf; n >= 160 always suffices. */
char *case_row_format(const case_row *r, char *buf, size_t n);

/* Compares two sorted lists row by row, matching rows by (req_id,
 * attempt). Returns the number of differing keys (also in d->ndiff). */
size_t case_compare(const case_rows *expected, const case_rows *actual,
                    case_diff *d);

#endif
