/* SPDX-License-Identifier: MIT
 *
 * Virtual time. Every instant and duration in ratesim is an int64_t count of
 * nanoseconds since the start of the run, so that ordering and admission are
 * exact integer decisions; floating point is only ever used for reporting.
 * SIM_NEVER stands for "not at any time" and sorts after every real instant;
 * SIM_NONE marks an absent time (a NULL in the database).
 */
#ifndef RS_SIM_TIME_H
#define RS_SIM_TIME_H

#include <stdint.h>

typedef int64_t sim_time;

#define SIM_NS_PER_S 1000000000LL
#define SIM_NEVER INT64_MAX
#define SIM_NONE INT64_MIN

#endif
