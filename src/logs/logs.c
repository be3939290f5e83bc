/* Shared pieces of the log readers (include/husk/logs.h): times and the chunk joiner. */
#include "husk/logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (no libc: no time zone, any year). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Reads exactly n decimal digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

int husk_log_time_parse(const char *s, size_t n, husk_timespec *t)
{
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    size_t i = 0;
    memset(t, 0, sizeof *t);
    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
        return -1;
    if (i >= n || (s[i] != 'T' && s[i] != 't'))
        return -1;
    i++;
    if (digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &sec))
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || sec > 59)
        return -1;
    uint32_t ns = 0;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        int nd = 0;
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (nd < 9) /* Go keeps nanoseconds; further digits only round down */
                ns = ns * 10 + (uint32_t)(s[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0)
            return -1;
        for (int k = nd; k < 9; k++)
            ns *= 10;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        int neg = s[i] == '-';
        i++;
        if (digits(s, n, &i, 2, &oh) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = (int64_t)(oh * 3600 + om * 60) * (neg ? -1 : 1);
    } else {
        return -1;
    }
    if (i != n)
        return -1;
    t->sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
    t->nsec = ns;
    t->present = 1;
    return 0;
}

void husk_log_time_format(const husk_timespec *t, char *buf, size_t bufsize)
{
    if (!bufsize)
        return;
    buf[0] = '\0';
    if (!t || !t->present || t->nsec > 999999999u)
        return;
    int64_t days = t->sec / 86400, rem = t->sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return;
    /* "%04d-%02u-%02uT%02d:%02d:%02d.%09uZ" as snprintf would write it, without its cost
     * (it formats every log line of a case) */
    char f[31];
    unsigned v[6] = {(unsigned)y, m, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
                     (unsigned)(rem % 60)};
    static const unsigned char width[6] = {4, 2, 2, 2, 2, 2};
    static const char sep[6] = {'-', '-', 'T', ':', ':', '.'};
    size_t k = 0;
    for (int i = 0; i < 6; i++) {
        for (int w = width[i] - 1; w >= 0; w--, v[i] /= 10)
            f[k + (size_t)w] = (char)('0' + v[i] % 10);
        k += width[i];
        f[k++] = sep[i];
    }
    uint32_t ns = t->nsec;
    for (int w = 8; w >= 0; w--, ns /= 10)
        f[k + (size_t)w] = (char)('0' + ns % 10);
    k += 9;
    f[k++] = 'Z';
    f[k] = '\0';
    size_t n = k < bufsize - 1 ? k : bufsize - 1;
    memcpy(buf, f, n);
    buf[n] = '\0';
}

husk_timespec husk_log_time_from_ns(int64_t ns)
{
    husk_timespec t = {0};
    t.sec = ns / 1000000000;
    int64_t r = ns % 1000000000;
    if (r < 0) {
        r += 1000000000;
        t.sec--;
    }
    t.nsec = (uint32_t)r;
    t.present = 1;
    return t;
}

/* Docker has two streams; a few more slots tolerate odd evidence without unbounded state. */
#define JOIN_SLOTS 8

typedef struct pending {
    char *stream; /* NULL: slot free */
    husk_strbuf data;
    husk_timespec time;
    int64_t seq;
    char *file;
    uint64_t offset;
    const husk_prov *prov;
    char *chunk_id;
    int64_t next_ordinal; /* 0 when the entries carry no ordinal */
    uint64_t started;     /* for choosing which slot to give up when all are taken */
} pending;

struct husk_logjoin {
    pending slot[JOIN_SLOTS];
    int64_t next_seq;
    uint64_t tick;
    husk_log_msg_cb cb;
    void *ctx;
    husk_diag *diag;
};

int husk_logjoin_new(int64_t first_seq, husk_log_msg_cb cb, void *ctx, husk_diag *diag,
                     husk_logjoin **out, husk_err *err)
{
    husk_logjoin *j = calloc(1, sizeof *j);
    if (!j)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    j->next_seq = first_seq;
    j->cb = cb;
    j->ctx = ctx;
    j->diag = diag;
    *out = j;
    return 0;
}

int64_t husk_logjoin_next_seq(const husk_logjoin *j)
{
    return j->next_seq;
}

static void slot_clear(pending *p)
{
    free(p->stream);
    free(p->file);
    free(p->chunk_id);
    husk_sb_release(&p->data);
    memset(p, 0, sizeof *p);
}

/* Hands the slot's message to the callback and frees the slot. */
static int slot_emit(husk_logjoin *j, pending *p, int partial, husk_err *err)
{
    husk_log_msg m = {p->seq,  p->stream, p->time, husk_sb_str(&p->data), p->data.len, partial,
                      p->file, p->offset, p->prov};
    int rc = j->cb(&m, j->ctx, err);
    slot_clear(p);
    return rc;
}

static int slot_start(husk_logjoin *j, pending *p, const husk_log_entry *e, const char *file,
                      husk_err *err)
{
    p->stream = strdup(e->stream);
    p->file = file ? strdup(file) : NULL;
    p->chunk_id = strdup(e->chunk_id ? e->chunk_id : "");
    if (!p->stream || (file && !p->file) || !p->chunk_id) {
        slot_clear(p);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    p->time = e->time;
    p->seq = j->next_seq++;
    p->offset = e->offset;
    p->prov = e->prov;
    p->next_ordinal = e->ordinal > 0 ? e->ordinal + 1 : 0;
    p->started = ++j->tick;
    if (husk_sb_add(&p->data, e->line, e->len) < 0) {
        slot_clear(p);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    return 0;
}

int husk_logjoin_add(husk_logjoin *j, const husk_log_entry *e, const char *file, husk_err *err)
{
    const char *obj = file ? file : "";
    pending *p = NULL;
    for (int i = 0; i < JOIN_SLOTS; i++)
        if (j->slot[i].stream && strcmp(j->slot[i].stream, e->stream) == 0)
            p = &j->slot[i];
    if (p) {
        const char *id = e->chunk_id ? e->chunk_id : "";
        if (*id && *p->chunk_id && strcmp(id, p->chunk_id) != 0) {
            /* a new chunked line began: the previous one lost its last chunk */
            husk_diag_report(j->diag, "logs", obj, (int64_t)e->offset,
                             "%s line of message %lld ends without its last chunk", p->stream,
                             (long long)p->seq);
            int rc = slot_emit(j, p, 1, err);
            if (rc < 0)
                return rc;
            p = NULL;
        } else if (p->data.len + e->len > HUSK_LOG_MAX_MESSAGE) {
            husk_diag_report(j->diag, "logs", obj, (int64_t)e->offset,
                             "%s line longer than %u bytes: cut there and marked partial",
                             p->stream, HUSK_LOG_MAX_MESSAGE);
            int rc = slot_emit(j, p, 1, err);
            if (rc < 0)
                return rc;
            p = NULL;
        } else {
            if (p->next_ordinal && e->ordinal && e->ordinal != p->next_ordinal)
                husk_diag_report(j->diag, "logs", obj, (int64_t)e->offset,
                                 "%s line: chunk %lld follows chunk %lld (chunks missing)",
                                 p->stream, (long long)e->ordinal, (long long)p->next_ordinal - 1);
            p->next_ordinal = e->ordinal > 0 ? e->ordinal + 1 : 0;
            if (husk_sb_add(&p->data, e->line, e->len) < 0)
                return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
            return e->more ? 0 : slot_emit(j, p, 0, err);
        }
    }
    if (!e->more) { /* the common case: a whole line in one entry, nothing to keep */
        husk_log_msg m = {j->next_seq++, e->stream, e->time, e->line, e->len, 0,
                          file,          e->offset, e->prov};
        return j->cb(&m, j->ctx, err);
    }
    for (int i = 0; i < JOIN_SLOTS && !p; i++)
        if (!j->slot[i].stream)
            p = &j->slot[i];
    if (!p) {
        pending *old = &j->slot[0];
        for (int i = 1; i < JOIN_SLOTS; i++)
            if (j->slot[i].started < old->started)
                old = &j->slot[i];
        husk_diag_report(j->diag, "logs", obj, (int64_t)e->offset,
                         "more than %d streams with unfinished lines; giving up on the oldest",
                         JOIN_SLOTS);
        int rc = slot_emit(j, old, 1, err);
        if (rc < 0)
            return rc;
        p = old;
    }
    return slot_start(j, p, e, file, err);
}

int husk_logjoin_flush(husk_logjoin *j, husk_err *err)
{
    for (;;) {
        pending *p = NULL; /* in start order, so the callback sees ascending seq */
        for (int i = 0; i < JOIN_SLOTS; i++)
            if (j->slot[i].stream && (!p || j->slot[i].seq < p->seq))
                p = &j->slot[i];
        if (!p)
            return 0;
        int rc = slot_emit(j, p, 1, err);
        if (rc < 0)
            return rc;
    }
}

void husk_logjoin_free(husk_logjoin *j)
{
    if (!j)
        return;
    for (int i = 0; i < JOIN_SLOTS; i++)
        slot_clear(&j->slot[i]);
    free(j);
}
