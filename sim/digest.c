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
 *
 * Why rows wait to be hashed. The bytes are written field by field (8, 4,
 * 1, a name, 8, 8 bytes) and XXH3 reads them back 8 at a time from offsets
 * that straddle those writes; a load that spans several stores still in
 * flight cannot be forwarded from them and waits until they reach the
 * cache, which made a quarter of the digest's time. So a row is encoded
 * into one of DIGEST_LAG slots and hashed when the slot comes round again,
 * by which time its stores are long done; digest_hex adds the rows still
 * waiting. The sum does not care about the order.
 */
#include "sim/digest.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
/* XXH3 compiled in, from the same header: a row is some 35 bytes, and a
 * call into the shared library costs as much as hashing them. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define DIGEST_NO_PROVIDER 0xFF

/* Little-endian stores: a plain copy on a little-endian host (what the
 * compiler turns into one move), byte by byte elsewhere. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DIGEST_LE 1
#else
#define DIGEST_LE 0
#endif

static size_t
digest_put_u64(unsigned char *p, uint64_t v)
{
    if (DIGEST_LE) {
        memcpy(p, &v, 8);
        return 8;
    }
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return 8;
}

static size_t
digest_put_u32(unsigned char *p, uint32_t v)
{
    if (DIGEST_LE) {
        memcpy(p, &v, 4);
        return 4;
    }
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

/* The outcomes' database names (sim_outcome_name) and their lengths, so
 * that a row costs no strlen. */
static const struct { const char *name; size_t len; } digest_outcomes[] = {
    {"ok", 2}, {"failed", 6}, {"rejected", 8}, {"expired", 7},
    {"dropped", 7},
};

/* Writes the row's canonical bytes into buf; returns their length. */
static size_t
digest_encode(unsigned char buf[DIGEST_ROW_MAX], const sim_row *row,
              const char *provider)
{
    size_t n = 0;
    int o = row->outcome;

    n += digest_put_u64(buf + n, (uint64_t)row->req_id);
    n += digest_put_u32(buf + n, (uint32_t)row->attempt);
    n += digest_put_name(buf + n, provider);
    n += digest_put_u64(buf + n, (uint64_t)row->t_dispatch);
    n += digest_put_u64(buf + n, (uint64_t)row->t_done);
    assert(o >= SIM_OK && o <= SIM_DROPPED);
    memcpy(buf + n, digest_outcomes[o].name, digest_outcomes[o].len);
    return n + digest_outcomes[o].len;
}

void
digest_init(digest *d)
{
    d->lo = 0;
    d->hi = 0;
    d->n = 0;
}

/* Adds the hash of n bytes at p to (*hi:*lo), modulo 2^128. */
static void
digest_sum(uint64_t *lo, uint64_t *hi, const unsigned char *p, size_t n)
{
    XXH128_hash_t h = XXH3_128bits(p, n);
    uint64_t l = *lo + h.low64;

    *hi += h.high64 + (l < *lo); /* carry out of the low half */
    *lo = l;
}

void
digest_add(digest *d, const sim_row *row, const char *provider)
{
    unsigned k = (unsigned)(d->n % DIGEST_LAG);

    if (d->n >= DIGEST_LAG)
        digest_sum(&d->lo, &d->hi, d->row[k], d->len[k]);
    d->len[k] = (uint16_t)digest_encode(d->row[k], row, provider);
    d->n++;
}

void
digest_hex(const digest *d, char out[33])
{
    uint64_t lo = d->lo, hi = d->hi;
    uint64_t waiting = d->n < DIGEST_LAG ? d->n : DIGEST_LAG;

    for (unsigned k = 0; k < waiting; k++)
        digest_sum(&lo, &hi, d->row[k], d->len[k]);
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, hi, lo);
}
