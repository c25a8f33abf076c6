/* SPDX-License-Identifier: MIT
 *
 * The run digest (see digest.h for why it is a sum of row hashes).
 *
 * Canonical row bytes, all integers little-endian whatever the host:
 *
 *   req_id      8 bytes (int64)
 *   attempt     4 bytes (int32)
 *   provider    1 length byte then the name's bytes, or the single byte
 *               0xFF when there is no provider
 *   t_dispatch  8 bytes (int64; SIM_NONE as itself)
 *   t_done      8 bytes (int64; SIM_NONE as itself)
 *   outcome     its database name ("ok", "failed", ...), no terminator
 *
 * Provider names are shorter than SIM_NAME_MAX (64), so a length byte never
 * reads as the 0xFF marker; the outcome comes last, so the encoding needs no
 * length for it. These bytes are hashed with XXH3-128 (seed 0) and the hash,
 * taken as a 128-bit integer (high64:low64), is added to the digest modulo
 * 2^128. Changing any of this changes every stored digest.
 */
#include "sim/digest.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#define DIGEST_NO_PROVIDER 0xFF
/* 8 + 4 + 1 + 254 + 8 + 8 + the longest outcome name, with room to spare */
#define DIGEST_ROW_MAX 320

static size_t
digest_put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return 8;
}

static size_t
digest_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return 4;
}

static size_t
digest_put_name(unsigned char *p, const char *provider)
{
    if (provider == NULL) {
        p[0] = DIGEST_NO_PROVIDER;
        return 1;
    }
    size_t len = strlen(provider);
    /* Names come from a provider config (shorter than SIM_NAME_MAX); a
     * longer one would break the encoding's unambiguity. */
    assert(len < DIGEST_NO_PROVIDER);
    if (len >= DIGEST_NO_PROVIDER)
        len = DIGEST_NO_PROVIDER - 1;
    p[0] = (unsigned char)len;
    memcpy(p + 1, provider, len);
    return 1 + len;
}

/* Writes the row's canonical bytes into buf; returns their length. */
static size_t
digest_encode(unsigned char buf[DIGEST_ROW_MAX], const sim_row *row,
              const char *provider)
{
    size_t n = 0;
    n += digest_put_u64(buf + n, (uint64_t)row->req_id);
    n += digest_put_u32(buf + n, (uint32_t)row->attempt);
    n += digest_put_name(buf + n, provider);
    n += digest_put_u64(buf + n, (uint64_t)row->t_dispatch);
    n += digest_put_u64(buf + n, (uint64_t)row->t_done);
    const char *out = sim_outcome_name(row->outcome);
    size_t len = strlen(out);
    memcpy(buf + n, out, len);
    return n + len;
}

void
digest_init(digest *d)
{
    d->lo = 0;
    d->hi = 0;
}

void
digest_add(digest *d, const sim_row *row, const char *provider)
{
    unsigned char buf[DIGEST_ROW_MAX];
    size_t n = digest_encode(buf, row, provider);
    XXH128_hash_t h = XXH3_128bits(buf, n);
    uint64_t lo = d->lo + h.low64;
    d->hi += h.high64 + (lo < d->lo); /* carry out of the low half */
    d->lo = lo;
}

void
digest_hex(const digest *d, char out[33])
{
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, d->hi, d->lo);
}
