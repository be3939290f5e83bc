/* Field encoders and mappings of husk timeline (src/cli/timeline_fmt.h). */
#include "timeline_fmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "husk/escape.h"
#include "husk/logs.h"

int tl_body_field(husk_strbuf *out, const char *s, size_t len)
{
    husk_strbuf esc = HUSK_STRBUF_INIT;
    int r = husk_escape_term(&esc, s, len);
    for (size_t i = 0; r == 0 && i < esc.len; i++) {
        char c = esc.buf[i];
        if (c == '|')
            r = husk_sb_adds(out, "%7C");
        else if (c == '%')
            r = husk_sb_adds(out, "%25");
        else
            r = husk_sb_add(out, &c, 1);
    }
    husk_sb_release(&esc);
    return r;
}

int tl_csv_field(husk_strbuf *out, const char *s, size_t len, int term)
{
    husk_strbuf esc = HUSK_STRBUF_INIT;
    int r = 0;
    if (term || !husk_utf8_valid(s, len)) {
        if ((r = husk_escape_term(&esc, s, len)) == 0) {
            s = husk_sb_str(&esc);
            len = esc.len;
        }
    }
    if (r == 0)
        r = husk_sb_adds(out, "\"");
    for (size_t i = 0; r == 0 && i < len; i++)
        r = s[i] == '"' ? husk_sb_adds(out, "\"\"") : husk_sb_add(out, &s[i], 1);
    if (r == 0)
        r = husk_sb_adds(out, "\"");
    husk_sb_release(&esc);
    return r;
}

char tl_body_column(const char *kind)
{
    if (!kind)
        return 'm';
    if (strcmp(kind, "atime") == 0)
        return 'a';
    if (strcmp(kind, "ctime") == 0 || strcmp(kind, "last-updated") == 0)
        return 'c';
    if (strcmp(kind, "crtime") == 0 || strcmp(kind, "created") == 0)
        return 'b';
    return 'm'; /* mtime, started, finished, log: something happened, was written */
}

const char *tl_timestamp_desc(const char *source, const char *kind)
{
    static const struct {
        const char *source, *kind, *desc;
    } map[] = {
        {"container", "created", "Container Created"},
        {"container", "started", "Container Started"},
        {"container", "finished", "Container Finished"},
        {"image", "created", "Image Created"},
        {"image", "last-updated", "Image Last Updated"},
        {"image-history", "created", "Image Build Step"},
        {NULL, "mtime", "Content Modification Time"},
        {NULL, "atime", "Last Access Time"},
        {NULL, "ctime", "Metadata Modification Time"},
        {NULL, "crtime", "Creation Time"},
        {NULL, "log", "Log Line Written"},
    };
    source = source ? source : "";
    kind = kind ? kind : "";
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if ((!map[i].source || strcmp(map[i].source, source) == 0) &&
            strcmp(map[i].kind, kind) == 0)
            return map[i].desc;
    return kind[0] ? kind : "Event Time";
}

void tl_mode_string(int64_t mode, char out[13])
{
    if (mode < 0) {
        memcpy(out, "-/----------", 13);
        return;
    }
    char t;
    switch (mode & 0170000) {
    case 0100000:
        t = 'r';
        break;
    case 0040000:
        t = 'd';
        break;
    case 0120000:
        t = 'l';
        break;
    case 0020000:
        t = 'c';
        break;
    case 0060000:
        t = 'b';
        break;
    case 0010000:
        t = 'p';
        break;
    case 0140000:
        t = 's';
        break;
    default:
        t = '-';
        break;
    }
    static const char rwx[] = "rwxrwxrwx";
    out[0] = t;
    out[1] = '/';
    out[2] = t;
    for (int i = 0; i < 9; i++)
        out[3 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    if (mode & 04000)
        out[5] = (mode & 0100) ? 's' : 'S';
    if (mode & 02000)
        out[8] = (mode & 0010) ? 's' : 'S';
    if (mode & 01000)
        out[11] = (mode & 0001) ? 't' : 'T';
    out[12] = 0;
}

int tl_parse_time(const char *s, int64_t *sec, uint32_t *nsec)
{
    husk_timespec t = {0};
    if (!s || husk_log_time_parse(s, strlen(s), &t) < 0 || !t.present)
        return -1;
    *sec = t.sec;
    *nsec = t.nsec;
    return 0;
}

void tl_iso8601_us(int64_t sec, uint32_t nsec, char *out, size_t n)
{
    struct tm tm;
    time_t tt = (time_t)sec;
    char base[40];
    if (!gmtime_r(&tt, &tm) || !strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(out, n, "%s", "");
        return;
    }
    snprintf(out, n, "%s.%06u+00:00", base, (unsigned)(nsec / 1000));
}
