/* SPDX-License-Identifier: MIT
 *
 * The algorithm registry: every rate-limit algorithm ratesim knows, by name.
 * Each algorithm lives in its own file in algos/ and exports only its
 * descriptor; registry.c lists them (see the checklist there for adding one).
 */
#ifndef RS_ALGOS_ALGOS_H
#define RS_ALGOS_ALGOS_H

#include <stddef.h>

#include "sim/limit.h"

/* The algorithm called `name`, or NULL. */
const algo *algo_find(const char *name);

/* The i-th registered algorithm (0-based), or NULL past the end. */
const algo *algo_at(size_t i);

/* Writes the known names, comma-separated, into buf (always terminated). */
void algo_names(char *buf, size_t n);

#endif
