/* SPDX-License-Identifier: MIT
 *
 * SHA-256 of the inputs a run reads, so that a stored run says exactly
 * what it was fed. A thin wrapper over GNU Nettle, whose SHA-256 uses the
 * CPU's SHA extensions where it has them: hashing a workload then costs a
 * few percent of reading it, not a quarter.
 */
#ifndef RS_SIM_IO_SHA_H
#define RS_SIM_IO_SHA_H

#include <stddef.h>

typedef struct sha sha;

sha *sha_new(void);                         /* NULL when out of memory */
void sha_free(sha *h);
void sha_update(sha *h, const void *p, size_t n);
/* The digest of everything added so far, as 64 lower-case hex digits; h
 * can go on taking bytes. */
void sha_hex(const sha *h, char hex[65]);

#endif
