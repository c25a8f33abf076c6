/* SPDX-License-Identifier: MIT
 *
 * SHA-256 over OpenSSL's EVP interface. sha_hex finishes a copy of the
 * context, so a reader can report the hash of what it has read so far and
 * go on reading.
 */
#include "sim/io/sha.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

struct sha {
    EVP_MD_CTX *ctx;
};

sha *
sha_new(void)
{
    sha *h = malloc(sizeof *h);

    if (!h)
        return NULL;
    if (!(h->ctx = EVP_MD_CTX_new()) ||
        EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        sha_free(h);
        return NULL;
    }
    return h;
}

void
sha_free(sha *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int
sha_update(sha *h, const void *p, size_t n)
{
    return EVP_DigestUpdate(h->ctx, p, n) == 1 ? 0 : -1;
}

int
sha_hex(const sha *h, char hex[65])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = c && EVP_MD_CTX_copy_ex(c, h->ctx) == 1 &&
             EVP_DigestFinal_ex(c, d, &n) == 1 && n == 32;

    EVP_MD_CTX_free(c);
    hex[0] = '\0';
    if (!ok)
        return -1;
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return 0;
}
