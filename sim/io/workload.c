/* SPDX-License-Identifier: MIT
 *
 * The workload reader (SPEC §3): a streaming RFC 4180 CSV reader that turns
 * each data row into a sim_request, checking every cell on the way.
 *
 * Input is read in blocks (read(2), so a pipe is taken as it comes), each
 * hashed (SHA-256, sim/io/sha) as it arrives, and cut into lines in place;
 * memory holds a block (more only for a line longer than one), the
 * current row's cells and libcsv's field buffer, all of which only grow to
 * the longest row seen. Lines are fed to libcsv in strict mode, so the
 * reader always knows the line it is on. Whether a line
 * starts a row is known because a row ends exactly when libcsv reports it:
 * a line that begins a row and starts with '#' is a comment, and one that
 * is only blanks is skipped; inside a quoted cell both are data. A row that
 * fits on one line without a quote (nearly every row) is split directly,
 * with the same result libcsv would give, its cells left where they are in
 * the block, because libcsv's one character at a time (and a copy of every
 * cell) costs more than everything else together.
 *
 * The header names the columns (any order, `at` required); cell i of a row
 * is parsed as the header's column i, and an empty cell takes the column's
 * default. Across rows the reader keeps only the last `at` and `id` (for
 * the ordering checks) and the client keys, interned to 0, 1, ... in an
 * open-addressing hash table, so memory grows with distinct clients only.
 * The keys themselves sit in segments of doubling size that never move, so
 * that wl_client_name may be asked from another thread while this one
 * reads on (sim/io/prefetch).
 *
 * Errors are located "path:line: column: what is wrong", where line is the
 * line the row starts on (a quoting error: the line it is on). They are
 * sticky: after a bad row, wl_next gives the same error again.
 *
 * Entry points: wl_open (opens and reads the header), wl_next (one request
 * per call), wl_client_name / wl_clients, wl_sha256, wl_close.
 */
#include "sim/io/workload.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "sim/io/sha.h"
#include "sim/io/units.h"

/* Cells kept per row: more than the columns there are, so that a header
 * with one too many still shows its duplicate or unknown name. Later cells
 * are only counted. */
#define WL_MAX_FIELDS 16
/* How much of a bad cell a message quotes. */
#define WL_SHOW_MAX 40
/* The size of a read: the block grows past it only for a longer line. */
#define WL_BLOCK 65536
/* A client number no key gets: intern stops short of it. */
#define WL_NO_CLIENT UINT32_MAX
/* Client segment k holds WL_SEG0 << k keys; 29 segments hold 2^32. */
#define WL_SEG0 16
#define WL_SEGS 29
/* A cache line, as far as keeping two threads' fields apart goes. */
#define WL_LINE 64

enum wl_col {
    COL_AT, COL_ID, COL_CLIENT, COL_PRIORITY, COL_AFTER,
    COL_COST, COL_PROVIDER, COL_DEADLINE, COL_SERVICE, COL_COUNT
};

static const char *const col_names[COL_COUNT] = {
    "at", "id", "client", "priority", "after",
    "cost", "provider", "deadline", "service",
};

/* One interned client key. */
typedef struct wl_client {
    char *name;
    size_t len;
    uint32_t hash;
} wl_client;

struct wl {
    int fd;                     /* -1 when not open */
    int own_fd;                 /* not stdin: close it */
    char *path;                 /* as shown in messages */
    char *blk;                  /* input read and not yet cut into lines: */
    size_t blk_pos, blk_len;    /* [blk_pos, blk_len) */
    size_t blk_cap;
    size_t blk_seen;            /* bytes after blk_pos known to hold no
                                   newline */
    int blk_end;                /* read(2) said: end of input */
    int no_sha;                 /* wl_skip_sha256: nothing hashed */
    int64_t lineno;             /* lines read so far */
    int at_row_start;           /* the next line begins a new row */
    int eof;
    int read_err;               /* error class of a failed read */
    int failed;                 /* sticky error class, message in msg */
    char msg[512];
    struct csv_parser csv;
    sha *sha;

    /* The row being read: cell i is the len[i] bytes at cell[i], in the
     * block (a plain row) or in buf (cells libcsv handed over, at off[i]
     * until the row ends, as buf may move while it grows). */
    const char *cell[WL_MAX_FIELDS];
    char *buf;
    size_t buf_len, buf_cap;
    size_t off[WL_MAX_FIELDS], len[WL_MAX_FIELDS];
    size_t nfields;
    int rows_ended;             /* libcsv row ends seen on this line */
    int oom;
    int64_t row_line;           /* the line the row starts on */

    /* The header and what the checks carry from row to row. */
    int ncols;
    unsigned char col[COL_COUNT];
    int64_t rows;               /* data rows so far */
    sim_time last_at;
    int64_t last_id;
    int64_t default_client;     /* number of "default", or -1 */

    char **providers;
    int nproviders;

    /* The client keys, on cache lines of their own (the struct ends with
     * them): wl_client_name reads seg and nclients from another thread
     * once a row, and sharing a line with fields written once a row (the
     * last at and id) cost that thread a cache miss each time. */
    _Alignas(WL_LINE) wl_client *seg[WL_SEGS];
    uint32_t nclients;
    uint32_t *slots;            /* 0 empty, else client id + 1 */
    uint32_t nslots;            /* a power of two, at most half full */
};

/* --------------------------------------------------------------- errors */

/* Formats "path:line: col: ..." (or "path: ..." when line is 0) into the
 * reader's message, makes the error sticky and returns its class. */
static int
fail(wl *w, int code, int64_t line, const char *col, const char *fmt, ...)
{
    const char *path = w->path ? w->path : "workload";
    va_list ap;
    size_t n;

    if (line > 0)
        n = (size_t)snprintf(w->msg, sizeof w->msg, "%s:%lld: %s: ", path,
                             (long long)line, col);
    else
        n = (size_t)snprintf(w->msg, sizeof w->msg, "%s: ", path);
    if (n < sizeof w->msg) {
        va_start(ap, fmt);
        vsnprintf(w->msg + n, sizeof w->msg - n, fmt, ap);
        va_end(ap);
    }
    w->failed = code;
    return code;
}

static void
copy_msg(const wl *w, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", w->msg);
}

/* A cell as a message shows it: at most WL_SHOW_MAX bytes, control
 * characters replaced, so that the message stays one line. */
static const char *
show(const char *s, size_t len, char *out, size_t n)
{
    size_t i, max = len > WL_SHOW_MAX ? WL_SHOW_MAX : len;

    for (i = 0; i < max && i + 4 < n; i++)
        out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (i < len && i + 4 <= n) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

/* The name of the column at field index i, for messages. */
static const char *
field_name(const wl *w, size_t i)
{
    if (w->ncols == 0)
        return "header";
    return i < (size_t)w->ncols ? col_names[w->col[i]] : "row";
}

/* ----------------------------------------------------------- CSV events */

static int
grow_buf(wl *w, size_t need)
{
    size_t cap = w->buf_cap ? w->buf_cap : 256;
    char *p;

    while (cap < need)
        cap *= 2;
    if ((p = realloc(w->buf, cap)) == NULL)
        return -1;
    w->buf = p;
    w->buf_cap = cap;
    return 0;
}

/* libcsv hands over a cell; keep a copy, as its buffer is reused. */
static void
on_field(void *s, size_t len, void *data)
{
    wl *w = data;
    size_t i = w->nfields++;

    if (i >= WL_MAX_FIELDS || w->oom)
        return;
    if (w->buf_len + len + 1 > w->buf_cap && grow_buf(w, w->buf_len + len + 1)) {
        w->oom = 1;
        return;
    }
    if (len > 0)
        memcpy(w->buf + w->buf_len, s, len);
    w->buf[w->buf_len + len] = '\0';
    w->off[i] = w->buf_len;
    w->len[i] = len;
    w->buf_len += len + 1;
}

static void
on_row(int c, void *data)
{
    wl *w = data;

    (void)c;
    w->rows_ended++;
}

/* Cells libcsv handed over, now that buf stops moving. */
static void
point_cells(wl *w)
{
    for (size_t i = 0; i < w->nfields && i < WL_MAX_FIELDS; i++)
        w->cell[i] = w->buf + w->off[i];
}

/* ------------------------------------------------------------- reading */

static int
blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    }
    return 1;
}

/* Where libcsv stopped on a quote; p->quoted tells which rule broke. */
static int
quote_error(wl *w)
{
    const char *what = w->csv.quoted ? "text after a closing quote"
                                     : "quote inside an unquoted cell";

    if (csv_error(&w->csv) == CSV_ENOMEM || csv_error(&w->csv) == CSV_ETOOBIG)
        return fail(w, SIM_EIO, 0, NULL, "out of memory");
    return fail(w, SIM_EINPUT, w->lineno, field_name(w, w->nfields), "%s", what);
}

/* End of input: finish a row left open by a last line without a newline,
 * or report a quoted cell that never closed. */
static int
finish(wl *w)
{
    w->eof = 1;
    if (w->at_row_start)
        return 0;
    if (csv_fini(&w->csv, on_field, on_row, w) != 0)
        return fail(w, SIM_EINPUT, w->row_line, field_name(w, w->nfields),
                    "quoted cell never closed");
    w->at_row_start = 1;
    if (!w->rows_ended)
        return 0;
    point_cells(w);
    return 1;
}

/* Feeds one line to libcsv; returns 1 when it ended the row. */
static int
feed(wl *w, const char *s, size_t n)
{
    if (csv_parse(&w->csv, s, n, on_field, on_row, w) != n) {
        quote_error(w);
        return -1;
    }
    if (w->oom) {
        fail(w, SIM_EIO, 0, NULL, "out of memory");
        return -1;
    }
    /* libcsv also ends rows at a bare CR; one inside a line would make two
     * rows of one line, which old Mac files are the only source of. */
    if (w->rows_ended > 1) {
        fail(w, SIM_EINPUT, w->lineno, "row", "carriage return inside a line");
        return -1;
    }
    return w->rows_ended;
}

static int
is_pad(char c)
{
    return c == ' ' || c == '\t';
}

/* A whole row on one line with no quote and no CR but at its end: split it
 * here, as libcsv would (cells trimmed of spaces and tabs), without its
 * character-at-a-time state machine, which would otherwise cost a third of
 * the reading time. Returns 1, 0 when the line is not that simple (libcsv
 * then takes it), or -1 on an error. */
static int
split_plain(wl *w, const char *s, size_t n)
{
    const char *end = s + n;
    const char *comma;

    while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (memchr(s, '"', (size_t)(end - s)) || memchr(s, '\r', (size_t)(end - s)))
        return 0;
    for (;; s = comma + 1) {
        const char *e;

        comma = memchr(s, ',', (size_t)(end - s));
        e = comma ? comma : end;
        while (s < e && is_pad(*s))
            s++;
        while (e > s && is_pad(e[-1]))
            e--;
        if (w->nfields < WL_MAX_FIELDS) {
            w->cell[w->nfields] = s;
            w->len[w->nfields] = (size_t)(e - s);
        }
        w->nfields++;
        if (comma == NULL)
            break;
    }
    w->rows_ended = 1;
    return 1;
}

/* Reads more input after what is left of the block (moved to its front,
 * the block grown when a line fills it). Returns 0, or an error class. */
static int
fill(wl *w)
{
    size_t left = w->blk_len - w->blk_pos;
    ssize_t got;

    if (w->blk_pos > 0) {
        memmove(w->blk, w->blk + w->blk_pos, left);
        w->blk_pos = 0;
        w->blk_len = left;
    }
    if (w->blk_len == w->blk_cap) {
        size_t cap = w->blk_cap ? 2 * w->blk_cap : WL_BLOCK;
        char *p = cap > w->blk_cap ? realloc(w->blk, cap) : NULL;

        if (p == NULL)
            return fail(w, SIM_EIO, 0, NULL, "out of memory");
        w->blk = p;
        w->blk_cap = cap;
    }
    do
        got = read(w->fd, w->blk + w->blk_len, w->blk_cap - w->blk_len);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return fail(w, w->read_err, 0, NULL, "%s", strerror(errno));
    if (got == 0) {
        w->blk_end = 1;
        return 0;
    }
    if (!w->no_sha)
        sha_update(w->sha, w->blk + w->blk_len, (size_t)got);
    w->blk_len += (size_t)got;
    return 0;
}

/* The next line, its newline included (the last line may have none), in
 * *s and *n until the next call. Returns 1, 0 at the end of the input, or
 * an error class. */
static int
next_line(wl *w, const char **s, size_t *n)
{
    int rc;

    for (;;) {
        char *start = w->blk + w->blk_pos;
        size_t left = w->blk_len - w->blk_pos;
        char *nl = left > w->blk_seen
                       ? memchr(start + w->blk_seen, '\n', left - w->blk_seen)
                       : NULL;

        if (nl != NULL || (w->blk_end && left > 0)) {
            *s = start;
            *n = nl ? (size_t)(nl + 1 - start) : left;
            w->blk_pos += *n;
            w->blk_seen = 0;
            return 1;
        }
        if (w->blk_end)
            return 0;
        w->blk_seen = left;
        if ((rc = fill(w)) != 0)
            return rc;
    }
}

/* Reads lines until one ends a row, whose cells are then in w->buf.
 * Returns 1, 0 at the end of the input, or an error class. */
static int
read_row(wl *w)
{
    const char *s = NULL;
    size_t n = 0;
    int rc, got;

    w->nfields = 0;
    w->buf_len = 0;
    w->rows_ended = 0;
    while ((got = next_line(w, &s, &n)) == 1) {
        w->lineno++;
        /* A UTF-8 byte order mark (spreadsheets write one) is not data. */
        if (w->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
            s += 3, n -= 3;
        rc = 0;
        if (w->at_row_start) {
            if ((n > 0 && s[0] == '#') || blank_line(s, n))
                continue;
            w->row_line = w->lineno;
            if ((rc = split_plain(w, s, n)) == 1)
                return 1;
        }
        if (rc == 0)
            rc = feed(w, s, n);
        if (rc < 0)
            return w->failed;
        w->at_row_start = rc;
        if (rc) {
            point_cells(w);
            return 1;
        }
    }
    return got != 0 ? got : finish(w);
}

/* ------------------------------------------------------------- clients */

static uint32_t
hash_key(const char *s, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Client id's record: segment k starts at id WL_SEG0 (2^k - 1). */
static wl_client *
client_at(const wl *w, uint32_t id)
{
    uint64_t x = (uint64_t)id / WL_SEG0 + 1;
    int k = 63 - __builtin_clzll(x);

    return &w->seg[k][(uint64_t)id - WL_SEG0 * ((1ULL << k) - 1)];
}

static int
grow_slots(wl *w)
{
    uint32_t n = w->nslots ? w->nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);

    if (slots == NULL)
        return -1;
    for (uint32_t id = 0; id < w->nclients; id++) {
        uint32_t i = client_at(w, id)->hash & (n - 1);

        while (slots[i] != 0)
            i = (i + 1) & (n - 1);
        slots[i] = id + 1;
    }
    free(w->slots);
    w->slots = slots;
    w->nslots = n;
    return 0;
}

static int
add_client(wl *w, const char *s, size_t len, uint32_t h)
{
    uint64_t x = (uint64_t)w->nclients / WL_SEG0 + 1;
    int k = 63 - __builtin_clzll(x);
    wl_client *c;

    /* The first id of a segment: make the segment, on lines of its own
     * (it is read from another thread once a row; see struct wl). */
    if (x == (1ULL << k) && w->seg[k] == NULL) {
        size_t size = ((size_t)WL_SEG0 << k) * sizeof *c;

        size = (size + WL_LINE - 1) / WL_LINE * WL_LINE;
        if ((w->seg[k] = aligned_alloc(WL_LINE, size)) == NULL)
            return -1;
        memset(w->seg[k], 0, size);
    }
    c = client_at(w, w->nclients);
    if ((c->name = malloc(len + 1)) == NULL)
        return -1;
    memcpy(c->name, s, len);
    c->name[len] = '\0';
    c->len = len;
    c->hash = h;
    /* Published last, for wl_client_name on another thread. */
    __atomic_store_n(&w->nclients, w->nclients + 1, __ATOMIC_RELEASE);
    return 0;
}

/* The number of client key s, numbering it if new; -1 when out of memory. */
static int64_t
intern(wl *w, const char *s, size_t len)
{
    uint32_t h = hash_key(s, len);
    uint32_t i;

    if (w->nclients >= WL_NO_CLIENT - 1)
        return -1;
    if (2 * (uint64_t)(w->nclients + 1) > w->nslots && grow_slots(w) != 0)
        return -1;
    for (i = h & (w->nslots - 1); w->slots[i] != 0; i = (i + 1) & (w->nslots - 1)) {
        const wl_client *c = client_at(w, w->slots[i] - 1);

        if (c->hash == h && c->len == len && memcmp(c->name, s, len) == 0)
            return w->slots[i] - 1;
    }
    if (add_client(w, s, len, h) != 0)
        return -1;
    w->slots[i] = w->nclients;
    return w->nclients - 1;
}

/* --------------------------------------------------------------- header */

/* The same bytes, lengths first: a cell may hold a NUL, which strcmp
 * would take for its end. */
static int
same_name(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && memcmp(name, s, len) == 0;
}

static int
column_of(const char *name, size_t len)
{
    for (int c = 0; c < COL_COUNT; c++) {
        if (same_name(col_names[c], name, len))
            return c;
    }
    return -1;
}

/* Maps each header cell to its column; every name known, none twice, `at`
 * present. */
static int
read_header(wl *w)
{
    int seen[COL_COUNT] = {0};
    char shown[WL_SHOW_MAX + 4];

    for (size_t i = 0; i < w->nfields && i < WL_MAX_FIELDS; i++) {
        const char *name = w->cell[i];
        int c = column_of(name, w->len[i]);

        if (w->len[i] == 0)
            return fail(w, SIM_EINPUT, w->row_line, "header",
                        "column %zu has no name", i + 1);
        show(name, w->len[i], shown, sizeof shown);
        if (c < 0)
            return fail(w, SIM_EINPUT, w->row_line, shown,
                        "unknown column (expected at, id, client, priority, "
                        "after, cost, provider, deadline or service)");
        if (seen[c]++)
            return fail(w, SIM_EINPUT, w->row_line, shown, "duplicate column");
        w->col[w->ncols++] = (unsigned char)c;
    }
    if (!seen[COL_AT])
        return fail(w, SIM_EINPUT, w->row_line, "at",
                    "missing column (every workload needs arrival times)");
    return 0;
}

/* ---------------------------------------------------------------- cells */

static int
bad_cell(wl *w, int col, const char *s, size_t len, const char *what)
{
    char shown[WL_SHOW_MAX + 4];

    return fail(w, SIM_EINPUT, w->row_line, col_names[col], "%s, got \"%s\"",
                what, show(s, len, shown, sizeof shown));
}

/* A time cell. The last int64 nanosecond is the engine's SIM_NEVER ("not
 * at any time"): a request arriving then would silently never arrive, and
 * the rows after it would never be read, so it is refused like any time
 * beyond int64. */
static int
parse_time(wl *w, int col, const char *s, size_t len, sim_time *out)
{
    const char *msg = units_parse_seconds_n(s, len, out);

    if (msg == NULL && *out == SIM_NEVER)
        msg = "too large (the latest time is 9223372036.854775806)";
    return msg ? bad_cell(w, col, s, len, msg) : 0;
}

static int
parse_int(wl *w, int col, const char *s, size_t len, int64_t lo, int64_t hi,
          int64_t *out)
{
    const char *msg = units_parse_int_n(s, len, INT64_MIN, INT64_MAX, out);
    char what[96];

    if (msg != NULL)
        return bad_cell(w, col, s, len, msg);
    if (*out >= lo && *out <= hi)
        return 0;
    if (hi == INT64_MAX)
        snprintf(what, sizeof what, "must be at least %lld", (long long)lo);
    else
        snprintf(what, sizeof what, "expected an integer from %lld to %lld",
                 (long long)lo, (long long)hi);
    return bad_cell(w, col, s, len, what);
}

static int
parse_provider(wl *w, const char *s, size_t len, int32_t *out)
{
    char shown[WL_SHOW_MAX + 4];

    for (int i = 0; i < w->nproviders; i++) {
        if (same_name(w->providers[i], s, len)) {
            *out = i;
            return 0;
        }
    }
    return fail(w, SIM_EINPUT, w->row_line, "provider", "unknown provider \"%s\"",
                show(s, len, shown, sizeof shown));
}

/* Parses one non-empty cell of column col into r. */
static int
parse_cell(wl *w, int col, const char *s, size_t len, sim_request *r)
{
    int64_t v;
    int rc;

    switch (col) {
    case COL_AT:
        return parse_time(w, col, s, len, &r->at);
    case COL_ID:
        return parse_int(w, col, s, len, INT64_MIN, INT64_MAX, &r->id);
    case COL_CLIENT:
        if ((v = intern(w, s, len)) < 0)
            return fail(w, SIM_EIO, 0, NULL, "out of memory");
        r->client = (uint32_t)v;
        return 0;
    case COL_PRIORITY:
        if ((rc = parse_int(w, col, s, len, INT32_MIN, INT32_MAX, &v)) == 0)
            r->priority = (int32_t)v;
        return rc;
    case COL_AFTER:
        return parse_time(w, col, s, len, &r->after);
    case COL_COST:
        return parse_int(w, col, s, len, 1, INT64_MAX, &r->cost);
    case COL_PROVIDER:
        return parse_provider(w, s, len, &r->provider);
    case COL_DEADLINE:
        return parse_time(w, col, s, len, &r->deadline);
    default:
        return parse_time(w, col, s, len, &r->service);
    }
}

/* ----------------------------------------------------------------- rows */

/* The request a row of empty cells would give, but for the client (see
 * default_client) and `after` (= at), which wait for the other cells. */
static void
defaults(const wl *w, sim_request *r)
{
    *r = (sim_request){
        .id = w->rows,
        .at = SIM_NONE,
        .after = SIM_NONE,
        .deadline = SIM_NEVER,
        .service = SIM_NONE,
        .cost = 1,
        .priority = 0,
        .provider = -1,
        .client = WL_NO_CLIENT,
    };
}

/* The number of client "default", interned only once a row needs it so
 * that a workload naming all its clients does not count it. */
static int
default_client(wl *w, sim_request *r)
{
    int64_t id = w->default_client;

    if (id < 0 && (id = w->default_client = intern(w, "default", 7)) < 0)
        return fail(w, SIM_EIO, 0, NULL, "out of memory");
    r->client = (uint32_t)id;
    return 0;
}

/* The checks that compare cells with each other or with earlier rows. */
static int
check_row(wl *w, sim_request *r)
{
    char a[24], b[24];

    if (r->at == SIM_NONE)
        return fail(w, SIM_EINPUT, w->row_line, "at",
                    "missing (at has no default)");
    if (w->rows > 1 && r->at < w->last_at)
        return fail(w, SIM_EINPUT, w->row_line, "at", "goes back in time (%s after %s)",
                    units_format_seconds(r->at, a, sizeof a),
                    units_format_seconds(w->last_at, b, sizeof b));
    if (w->rows > 1 && r->id <= w->last_id)
        return fail(w, SIM_EINPUT, w->row_line, "id", "not increasing (%lld after %lld)",
                    (long long)r->id, (long long)w->last_id);
    if (r->deadline != SIM_NEVER && r->deadline <= r->at)
        return fail(w, SIM_EINPUT, w->row_line, "deadline",
                    "must be later than at (%s is not after %s)",
                    units_format_seconds(r->deadline, a, sizeof a),
                    units_format_seconds(r->at, b, sizeof b));
    if (r->after == SIM_NONE)
        r->after = r->at;
    w->last_at = r->at;
    w->last_id = r->id;
    return 0;
}

/* Turns the row in w->buf into a request. */
static int
convert_row(wl *w, sim_request *r)
{
    int rc;

    if (w->nfields != (size_t)w->ncols)
        return fail(w, SIM_EINPUT, w->row_line, "row", "expected %d cells, got %zu",
                    w->ncols, w->nfields);
    w->rows++;
    defaults(w, r);
    for (int i = 0; i < w->ncols; i++) {
        if (w->len[i] == 0)
            continue;
        rc = parse_cell(w, w->col[i], w->cell[i], w->len[i], r);
        if (rc != 0)
            return rc;
    }
    if (r->client == WL_NO_CLIENT && (rc = default_client(w, r)) != 0)
        return rc;
    return check_row(w, r);
}

/* ------------------------------------------------------------ lifetime */

static int
open_input(wl *w, const char *path)
{
    int is_stdin = strcmp(path, "-") == 0;

    if ((w->path = strdup(is_stdin ? "stdin" : path)) == NULL)
        return -1;
    w->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    w->own_fd = !is_stdin;
    if (w->fd < 0)
        return fail(w, SIM_EINPUT, 0, NULL, "%s", strerror(errno));
    return 0;
}

static int
copy_providers(wl *w, const char *const *providers, int n)
{
    if (n <= 0)
        return 0;
    if ((w->providers = calloc((size_t)n, sizeof *w->providers)) == NULL)
        return -1;
    for (w->nproviders = 0; w->nproviders < n; w->nproviders++) {
        if ((w->providers[w->nproviders] = strdup(providers[w->nproviders])) == NULL)
            return -1;
    }
    return 0;
}

int
wl_open(wl **out, const char *path, const char *const *providers,
        int nproviders, char *err, size_t errlen)
{
    /* sizeof *w is a multiple of WL_LINE (its alignment) */
    wl *w = aligned_alloc(WL_LINE, sizeof *w);
    int rc;

    *out = NULL;
    if (w)
        memset(w, 0, sizeof *w);
    /* The block is there from the start: an empty input never reads into
     * it, and a NULL block plus an offset of 0 is still undefined. */
    if (w == NULL || csv_init(&w->csv, CSV_STRICT | CSV_STRICT_FINI) != 0 ||
        (w->sha = sha_new()) == NULL || (w->blk = malloc(WL_BLOCK)) == NULL) {
        if (w) {
            csv_free(&w->csv);
            sha_free(w->sha);
        }
        free(w);
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "out of memory");
        return SIM_EIO;
    }
    w->blk_cap = WL_BLOCK;
    w->fd = -1;
    w->at_row_start = 1;
    w->default_client = -1;
    /* An input that cannot be read at all is bad input, not an I/O fault. */
    w->read_err = SIM_EINPUT;
    if ((rc = open_input(w, path)) != 0 || (rc = copy_providers(w, providers, nproviders)) != 0)
        goto fail;
    if ((rc = read_row(w)) == 0)
        rc = fail(w, SIM_EINPUT, 0, NULL, "empty file (expected a header row)");
    else if (rc == 1)
        rc = read_header(w);
    if (rc != 0)
        goto fail;
    w->read_err = SIM_EIO;
    *out = w;
    return 0;
fail:
    if (rc < 0)
        rc = fail(w, SIM_EIO, 0, NULL, "out of memory");
    copy_msg(w, err, errlen);
    wl_close(w);
    return rc;
}

int
wl_next(wl *w, sim_request *out, char *err, size_t errlen)
{
    int rc;

    if (w->failed) {
        copy_msg(w, err, errlen);
        return w->failed;
    }
    if (w->eof)
        return 0;
    rc = read_row(w);
    if (rc == 1 && (rc = convert_row(w, out)) == 0)
        return 1;
    if (rc != 0)
        copy_msg(w, err, errlen);
    return rc;
}

int
wl_client_id(wl *w, const char *name, uint32_t *id)
{
    int64_t v = intern(w, name, strlen(name));

    if (v < 0)
        return SIM_EIO;
    *id = (uint32_t)v;
    return 0;
}

const char *
wl_client_name(const wl *w, uint32_t id)
{
    return id < __atomic_load_n(&w->nclients, __ATOMIC_ACQUIRE)
               ? client_at(w, id)->name : NULL;
}

uint32_t
wl_clients(const wl *w)
{
    return w->nclients;
}

int
wl_regular(const wl *w)
{
    struct stat st;

    return fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Hashes what is left of a regular file unread, so that its hash names
 * the whole file whenever the run stopped reading it (and however far a
 * reader thread had read ahead). A pipe cannot be read to its end safely:
 * its hash is of what was read. */
static void
hash_rest(wl *w)
{
    char buf[WL_BLOCK];
    ssize_t got;

    if (w->blk_end || w->failed || !wl_regular(w))
        return;
    while ((got = read(w->fd, buf, sizeof buf)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return;
        sha_update(w->sha, buf, (size_t)got);
    }
    w->blk_end = 1;
    w->eof = 1;
}

void
wl_sha256(wl *w, char hex[65])
{
    if (w->no_sha) {
        hex[0] = '\0';
        return;
    }
    hash_rest(w);
    sha_hex(w->sha, hex);
}

void
wl_skip_sha256(wl *w)
{
    w->no_sha = 1;
}

void
wl_close(wl *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0 && w->own_fd)
        close(w->fd);
    csv_free(&w->csv);
    sha_free(w->sha);
    for (int i = 0; i < w->nproviders; i++)
        free(w->providers[i]);
    free(w->providers);
    for (uint32_t i = 0; i < w->nclients; i++)
        free(client_at(w, i)->name);
    for (int k = 0; k < WL_SEGS; k++)
        free(w->seg[k]);
    free(w->slots);
    free(w->buf);
    free(w->blk);
    free(w->path);
    free(w);
}
