/* SPDX-License-Identifier: MIT
 *
 * The fuzz harnesses' scratch files (see fuzz.h). One directory per
 * process, made with mkdtemp under $TMPDIR (or /tmp) on first use; a file
 * is rewritten in place for every input, and everything is removed at exit
 * (a crash leaves it behind, which is what /tmp is for).
 */
#include "fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_FILES 4

static char fz_dir[256];
static char fz_paths[FUZZ_FILES][300];

static void
fuzz_cleanup(void)
{
    for (int i = 0; i < FUZZ_FILES; i++)
        if (fz_paths[i][0])
            unlink(fz_paths[i]);
    if (fz_dir[0])
        rmdir(fz_dir);
}

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz property broken: %s\n", file, line, what);
    abort();
}

const char *
fuzz_dir(void)
{
    const char *tmp = getenv("TMPDIR");

    if (fz_dir[0])
        return fz_dir;
    snprintf(fz_dir, sizeof fz_dir, "%s/ratesim-fuzz-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fz_dir)) {
        perror(fz_dir);
        abort();
    }
    atexit(fuzz_cleanup);
    return fz_dir;
}

const char *
fuzz_file(const char *name, const uint8_t *data, size_t size)
{
    const char *dir = fuzz_dir();
    int slot = 0;
    FILE *f;

    /* The same name gets the same slot; a new one the first free. */
    for (slot = 0; slot < FUZZ_FILES; slot++) {
        const char *base = strrchr(fz_paths[slot], '/');

        if (!fz_paths[slot][0] || strcmp(base + 1, name) == 0)
            break;
    }
    if (slot == FUZZ_FILES)
        fuzz_fail(__FILE__, __LINE__, "too many scratch files");
    snprintf(fz_paths[slot], sizeof fz_paths[slot], "%s/%s", dir, name);
    if (!(f = fopen(fz_paths[slot], "wb")) ||
        (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(fz_paths[slot]);
        abort();
    }
    return fz_paths[slot];
}
