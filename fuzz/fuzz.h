/* SPDX-License-Identifier: MIT
 *
 * What the fuzz harnesses share. Each fuzz/fuzz_<reader>.c defines the
 * libFuzzer entry point LLVMFuzzerTestOneInput and nothing else that is
 * external; it is linked either with libFuzzer (clang, `make fuzz`) or with
 * fuzz/replay.c, a plain main that runs it on stored inputs (`make test`
 * replays fuzz/regress/ and fuzz/corpus/ that way, with any compiler).
 *
 * The readers take paths, so fuzz_file() puts an input into a file of the
 * process's own (made once, rewritten for every input) and returns its
 * path. fuzz_check() is the harnesses' assert: it stays on in every build
 * and aborts, which both libFuzzer and the replay driver report as a crash
 * of that input.
 */
#ifndef RS_FUZZ_FUZZ_H
#define RS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data[0..size) to this process's scratch file named `name` (a
 * file in a private directory, removed at exit) and returns its path; the
 * pointer stays valid until the process ends. Aborts when the file cannot
 * be written: no input's fault. */
const char *fuzz_file(const char *name, const uint8_t *data, size_t size);

/* The scratch directory itself, for readers that take a folder. */
const char *fuzz_dir(void);

/* Aborts with a message naming the harness's broken property. */
#define fuzz_check(cond)                                                    \
    ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#endif
