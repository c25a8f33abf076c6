/* SPDX-License-Identifier: MIT
 *
 * The run digest: a 128-bit fingerprint of a run's dispatch sequence, so two
 * runs can be compared by one string. Each row is reduced to its canonical
 * bytes (req_id, attempt, provider name, t_dispatch, t_done, outcome) and
 * hashed with XXH3-128; the digest is the sum of the row hashes modulo
 * 2^128. The sum makes it independent of the order rows are finished in,
 * and since (req_id, attempt) is unique it stands for the sequence sorted by
 * (req_id, attempt). The struct is public so it can live on the stack;
 * its fields are digest.c's.
 */
#ifndef RS_SIM_DIGEST_H
#define RS_SIM_DIGEST_H

#include <stdint.h>

#include "sim/engine.h"

/* Rows are hashed DIGEST_LAG adds after they are encoded (digest.c says
 * why); 8 + 4 + 1 + 254 + 8 + 8 + the longest outcome name fits a row. */
#define DIGEST_LAG 4
#define DIGEST_ROW_MAX 320

typedef struct digest {
    uint64_t lo, hi;                  /* the sum of the rows hashed so far */
    uint64_t n;                       /* rows added */
    uint16_t len[DIGEST_LAG];         /* row n - k is in slot n - k mod LAG */
    unsigned char row[DIGEST_LAG][DIGEST_ROW_MAX];
} digest;

void digest_init(digest *d);
/* Adds one row; provider is the provider's name, or NULL when none. */
void digest_add(digest *d, const sim_row *row, const char *provider);
/* Writes 32 lower-case hex digits and a NUL. */
void digest_hex(const digest *d, char out[33]);

#endif
