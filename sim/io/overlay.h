/* SPDX-License-Identifier: MIT
 *
 * Scenario overlays: the INI text of a scenario (SPEC §4) assembled from a
 * file and from command-line flags, every line remembering where it came
 * from. The text then goes through the scenario reader (scn_load_text), so
 * a flag is judged exactly as the same key in a file would be, and a
 * mistake is reported against the flag that made the line:
 *
 *   --provider NAME:ALGO:RATE[:KEY=VALUE]...  adds [provider NAME] with
 *       algo = ALGO, rate = RATE (concurrency = RATE for an algorithm that
 *       takes a concurrency and no rate) and one line per KEY=VALUE
 *   --client NAME[:KEY=VALUE]...              adds [client NAME]
 *   --sim KEY=VALUE[,KEY=VALUE]...            sets keys of [sim]
 *   --set SECTION.KEY=VALUE                   sets one key: SECTION is sim,
 *       a provider's or a client's name (provider.NAME or client.NAME when
 *       a name is both)
 *
 * An item ends at the next ":" (",") that is followed by "KEY=", so values
 * may hold ":" and "," themselves (latency=exp:20ms,
 * on_reject=retry:expo,base=100ms,max=5). Setting a key replaces the line
 * that gives it in its section (every line, for a key that may repeat such
 * as limit) in place, or adds one at the section's end; the [sim] section
 * is made when there is none. Sections are added first, in the order of
 * the flags, then keys are set, in the order of the flags, so a --set can
 * reach a --provider given after it.
 */
#ifndef RS_SIM_IO_OVERLAY_H
#define RS_SIM_IO_OVERLAY_H

#include <stddef.h>

enum ovl_kind { OVL_PROVIDER, OVL_CLIENT, OVL_SIM, OVL_SET };

/* One flag: its kind, its argument, and the text that names it in
 * messages and in the lines it makes (NULL: "--provider ARG" and so on). */
typedef struct ovl_flag {
    int kind;                   /* enum ovl_kind */
    const char *arg;
    const char *origin;
} ovl_flag;

typedef struct ovl ovl;

/* Reads the scenario file at path (NULL: none, the flags build all of it)
 * and applies flags[0..n). Returns 0, or 2 with "path: reason" (an
 * unreadable file) or "FLAG: what is wrong with it" (a flag that cannot
 * be applied: malformed, or naming a section there is not). What the
 * lines say is not judged here but by scn_load_text. */
int ovl_build(ovl **out, const char *path, const ovl_flag *flags, int n,
              char *err, size_t errlen);
void ovl_free(ovl *o);

/* The scenario as INI text (NUL-terminated, *len bytes); its lines' origins
 * ("path:12", or the flag), *nlines of them; the name of the whole (the
 * path, or "flags"). All owned by o. */
const char *ovl_text(const ovl *o, size_t *len);
const char *const *ovl_where(const ovl *o, int *nlines);
const char *ovl_name(const ovl *o);

/* The SHA-256 of ovl_text, 64 hex digits. Returns 0, or -1. */
int ovl_sha256(const ovl *o, char hex[65]);

#endif
