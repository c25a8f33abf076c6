/* SPDX-License-Identifier: MIT
 *
 * Fuzzes the stored-case reader (sim/io/casefile.c) behind `ratesim
 * check`. The input is given both as a case folder's case.ini and as an
 * expected.csv. case.ini must load with a scenario and a workload or be
 * refused with a located line; when it loads, its digest line is rewritten
 * and the file must load again to the same case. expected.csv must read
 * into rows with known outcomes, or be refused; the rows, sorted, compare
 * equal to themselves, and written out and read back they are the same.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "sim/io/casefile.h"

static void
fz_case_ini(const uint8_t *data, size_t size)
{
    static const char hex[] = "0123456789abcdef0123456789abcdef";
    char err[1024] = "";
    case_def c, again;

    fuzz_file(CASE_INI, data, size);
    if (case_load(fuzz_dir(), &c, err, sizeof err) != 0) {
        fuzz_check(err[0] != '\0' && strchr(err, '\n') == NULL);
        fuzz_check(c.scenario == NULL && c.workload == NULL);
        return;
    }
    fuzz_check(c.scenario != NULL && c.workload != NULL);
    if (case_set_digest(fuzz_dir(), hex, err, sizeof err) == 0) {
        fuzz_check(case_load(fuzz_dir(), &again, err, sizeof err) == 0);
        fuzz_check(strcmp(again.scenario, c.scenario) == 0);
        fuzz_check(strcmp(again.workload, c.workload) == 0);
        fuzz_check(again.has_seed == c.has_seed && again.seed == c.seed);
        fuzz_check((again.algo == NULL) == (c.algo == NULL));
        fuzz_check(strcmp(again.digest, hex) == 0);
        case_clear(&again);
    }
    case_clear(&c);
}

static int
fz_same_rows(const case_rows *a, const case_rows *b)
{
    case_diff d;

    return a->n == b->n && case_compare(a, b, &d) == 0;
}

static void
fz_expected(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(CASE_EXPECTED, data, size);
    char err[1024] = "", line[200];
    case_rows rows = {0}, back = {0};
    case_diff d;

    if (case_read_expected(path, &rows, err, sizeof err) != 0) {
        fuzz_check(err[0] != '\0' && strchr(err, '\n') == NULL);
        case_rows_clear(&rows);
        return;
    }
    case_rows_sort(&rows);
    for (size_t i = 0; i < rows.n; i++) {
        fuzz_check(rows.v[i].attempt >= 1);
        fuzz_check(strlen(case_row_format(&rows.v[i], line, sizeof line)) <
                   sizeof line - 1);
    }
    fuzz_check(case_compare(&rows, &rows, &d) == 0 && d.ndiff == 0);
    if (case_write_expected(path, &rows, err, sizeof err) == 0 &&
        case_read_expected(path, &back, err, sizeof err) == 0)
        fuzz_check(fz_same_rows(&rows, &back));
    case_rows_clear(&back);
    case_rows_clear(&rows);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_case_ini(data, size);
    fz_expected(data, size);
    return 0;
}
