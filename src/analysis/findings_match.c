/*
 * Pure helpers of the findings rules (include/husk/findings.h): capability names, host paths
 * that matter as bind-mount sources, times and running windows. No I/O, no database: the unit
 * tests exercise these directly.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "husk/findings.h"

int husk_severity_rank(const char *s)
{
    static const char *order[] = {"critical", "high", "medium", "low", "info"};
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, order[i]) == 0)
            return i;
    return 5;
}

int husk_cap_normalise(const char *s, char *out, size_t n)
{
    if (!s || n == 0)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    /* Docker strips "CAP_" in any case before matching (oci/caps: NormalizeLegacyCapabilities) */
    if (len > 4 && strncasecmp(s, "CAP_", 4) == 0) {
        s += 4;
        len -= 4;
    }
    if (len == 0 || len >= n)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_')
            return -1;
        out[i] = (char)toupper(c);
    }
    out[len] = '\0';
    return 0;
}

int husk_path_clean(const char *in, char *out, size_t n)
{
    if (!in || in[0] != '/' || n < 2)
        return -1;
    size_t o = 0;
    out[o++] = '/';
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t k = (size_t)(e - p);
        if (k == 0)
            break;
        if (k == 1 && p[0] == '.') {
            /* nothing */
        } else if (k == 2 && p[0] == '.' && p[1] == '.') {
            /* back to the previous '/', never above the root */
            while (o > 1 && out[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
        } else {
            if (o > 1) {
                if (o + 1 >= n)
                    return -1;
                out[o++] = '/';
            }
            if (o + k >= n)
                return -1;
            memcpy(out + o, p, k);
            o += k;
        }
        p = e;
    }
    out[o] = '\0';
    return 0;
}

int husk_path_under(const char *path, const char *dir)
{
    if (strcmp(dir, "/") == 0)
        return path[0] == '/';
    size_t k = strlen(dir);
    return strncmp(path, dir, k) == 0 && (path[k] == '\0' || path[k] == '/');
}

/*
 * Host locations that give a container a way out or at the host's secrets when bind-mounted
 * (formats.md 9.A). subtree: the location and anything below it; otherwise only the location
 * itself (mounting /etc/nginx or /home/dev/project is common and harmless, mounting /etc or
 * /home whole is not).
 */
static const struct {
    const char *path;
    int subtree;
} sensitive[] = {
    {"/etc", 0},
    {"/etc/kubernetes", 1}, /* static pods, admin kubeconfigs */
    {"/etc/shadow", 0},
    {"/etc/sudoers", 0},
    {"/etc/sudoers.d", 1},
    {"/etc/crontab", 0},
    {"/etc/cron.d", 1},
    {"/etc/systemd", 1},
    {"/etc/ssh", 1},
    {"/etc/docker", 1},
    {"/etc/containerd", 1},
    {"/root", 1},
    {"/home", 0},
    {"/proc", 1},
    {"/sys", 1},
    {"/dev", 0},
    {"/dev/mem", 0},
    {"/dev/kmem", 0},
    {"/dev/port", 0},
    {"/dev/disk", 1},
    {"/dev/mapper", 1},
    {"/var/lib/docker", 1},
    {"/var/lib/containerd", 1},
    {"/var/lib/kubelet", 1},
    {"/run", 0},
    {"/var/run", 0},
    {"/boot", 1},
    {"/lib/modules", 1},
    {"/usr/lib/modules", 1},
    {"/var", 0},
    {"/usr", 0},
    {"/lib", 0},
    {"/bin", 0},
    {"/sbin", 0},
};

/* API sockets of container runtimes: whoever can connect can start a privileged container. */
static const struct {
    const char *name; /* the socket's file name, anywhere */
    husk_mount_kind kind;
} sockets[] = {
    {"docker.sock", HUSK_MNT_DOCKER_SOCK},
    {"podman.sock", HUSK_MNT_DOCKER_SOCK}, /* serves the Docker API */
    {"containerd.sock", HUSK_MNT_CONTAINERD_SOCK},
    {"crio.sock", HUSK_MNT_CRIO_SOCK},
};

/* Directories that hold those sockets on a standard node: mounting them is mounting the
 * socket. /var/run is a link to /run on current distributions; both spellings occur. */
static const struct {
    const char *dir;
    husk_mount_kind kind;
} socket_dirs[] = {
    {"/run", HUSK_MNT_DOCKER_SOCK},
    {"/var/run", HUSK_MNT_DOCKER_SOCK},
    {"/run/containerd", HUSK_MNT_CONTAINERD_SOCK},
    {"/var/run/containerd", HUSK_MNT_CONTAINERD_SOCK},
    {"/run/crio", HUSK_MNT_CRIO_SOCK},
    {"/var/run/crio", HUSK_MNT_CRIO_SOCK},
};

/* Raw disks and memory: a container that can open them can read or write the host's file
 * systems under every permission check. */
static int is_raw_device(const char *p)
{
    static const char *pfx[] = {"/dev/sd",  "/dev/nvme", "/dev/vd",   "/dev/xvd",   "/dev/hd",
                                "/dev/dm-", "/dev/md",   "/dev/loop", "/dev/mmcblk"};
    for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++)
        if (strncmp(p, pfx[i], strlen(pfx[i])) == 0)
            return 1;
    return 0;
}

husk_mount_kind husk_mount_classify(const char *source, const char **what)
{
    char p[4096];
    if (what)
        *what = NULL;
    if (husk_path_clean(source, p, sizeof p) < 0)
        return HUSK_MNT_NONE;
    if (strcmp(p, "/") == 0)
        return HUSK_MNT_HOST_ROOT;
    const char *base = strrchr(p, '/') + 1;
    for (size_t i = 0; i < sizeof sockets / sizeof sockets[0]; i++)
        if (strcmp(base, sockets[i].name) == 0) {
            if (what)
                *what = sockets[i].name;
            return sockets[i].kind;
        }
    for (size_t i = 0; i < sizeof socket_dirs / sizeof socket_dirs[0]; i++)
        if (strcmp(p, socket_dirs[i].dir) == 0) {
            if (what)
                *what = socket_dirs[i].dir;
            return socket_dirs[i].kind;
        }
    for (size_t i = 0; i < sizeof sensitive / sizeof sensitive[0]; i++) {
        int hit = sensitive[i].subtree ? husk_path_under(p, sensitive[i].path)
                                       : strcmp(p, sensitive[i].path) == 0;
        if (hit) {
            if (what)
                *what = sensitive[i].path;
            return HUSK_MNT_SENSITIVE;
        }
    }
    if (is_raw_device(p)) {
        if (what)
            *what = "/dev (a raw disk)";
        return HUSK_MNT_SENSITIVE;
    }
    return HUSK_MNT_NONE;
}

int husk_dev_is_raw(const char *path)
{
    char p[4096];
    if (husk_path_clean(path, p, sizeof p) < 0)
        return 0;
    return is_raw_device(p) || strcmp(p, "/dev/mem") == 0 || strcmp(p, "/dev/kmem") == 0 ||
           strcmp(p, "/dev/port") == 0 || strcmp(p, "/dev/kmsg") == 0 ||
           husk_path_under(p, "/dev/disk") || husk_path_under(p, "/dev/mapper");
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (no libc time zone involved). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int husk_time_parse_ns(const char *s, int64_t *ns)
{
    int y, mo, d, h, mi, se, used = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
        used != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    const char *p = s + 19;
    int64_t frac = 0;
    int digits = 0;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (digits < 9) {
                frac = frac * 10 + (*p - '0');
                digits++;
            }
        if (digits == 0)
            return -1;
    }
    for (int i = digits; i < 9; i++)
        frac *= 10;
    if (!(p[0] == 'Z' && p[1] == '\0'))
        return -1;
    int64_t sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    /* the case database can hold years 0001..9999; int64 nanoseconds hold 1678..2261: the
     * extremes are clamped (with room for the window's slack) rather than wrapped */
    int64_t lim = INT64_MAX / 1000000000 - 10;
    if (sec > lim)
        sec = lim;
    if (sec < -lim)
        sec = -lim;
    *ns = sec * 1000000000 + frac;
    return 0;
}

void husk_time_format_ns(int64_t ns, char *buf, size_t n)
{
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (frac < 0) {
        frac += 1000000000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    char base[40];
    if (!gmtime_r(&t, &tm) || !strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, n, "?");
        return;
    }
    snprintf(buf, n, "%s.%09lldZ", base, (long long)frac);
}

void husk_window_of(const char *created, const char *started_at, const char *finished_at,
                    const char *state, int64_t restart_count, husk_window *w)
{
    memset(w, 0, sizeof *w);
    int64_t st, fin, cr;
    if (husk_time_parse_ns(started_at, &st) < 0)
        return; /* never started: it never ran */
    int have_cr = husk_time_parse_ns(created, &cr) == 0 && cr <= st;
    int64_t start = st - HUSK_WINDOW_SLACK_NS;
    if (restart_count > 0 && restart_count != HUSK_NULL_INT && have_cr)
        start = cr; /* earlier runs left no StartedAt of their own */
    if (have_cr && start < cr)
        start = cr; /* nothing runs before the container exists */
    w->valid = 1;
    w->start_ns = start;
    int running = state && (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0 ||
                            strcmp(state, "restarting") == 0);
    if (running || husk_time_parse_ns(finished_at, &fin) < 0) {
        w->open_end = 1;
        w->end_ns = INT64_MAX;
        return;
    }
    w->end_ns = (fin > st ? fin : st) + HUSK_WINDOW_SLACK_NS;
}

int husk_window_contains(const husk_window *w, int64_t t_ns)
{
    return w->valid && t_ns >= w->start_ns && (w->open_end || t_ns <= w->end_ns);
}
