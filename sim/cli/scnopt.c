/* SPDX-License-Identifier: MIT
 *
 * Scenario flags on a command line (see scnopt.h). The array is sized for
 * argc flags once, so taking one never fails: a command line cannot hold
 * more flags than arguments.
 */
#include "sim/cli/scnopt.h"

#include <stdlib.h>

int
scnopt_init(scnopt *s, int argc)
{
    s->n = 0;
    s->flag = calloc((size_t)(argc > 0 ? argc : 1), sizeof *s->flag);
    return s->flag ? 0 : -1;
}

void
scnopt_add(scnopt *s, int kind, const char *arg, const char *origin)
{
    s->flag[s->n++] = (ovl_flag){ .kind = kind, .arg = arg,
                                  .origin = origin };
}

int
scnopt_take(scnopt *s, int opt, const char *arg)
{
    static const int kinds[] = { OVL_PROVIDER, OVL_CLIENT, OVL_SIM,
                                 OVL_SET };

    if (opt < SCNOPT_PROVIDER || opt > SCNOPT_SET)
        return 0;
    scnopt_add(s, kinds[opt - SCNOPT_PROVIDER], arg, NULL);
    return 1;
}

void
scnopt_clear(scnopt *s)
{
    free(s->flag);
    s->flag = NULL;
    s->n = 0;
}
