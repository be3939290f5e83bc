/*
 * Rules on the files of a container's upper layer (formats.md 9.C): what the container added,
 * changed (copied up) or deleted (whiteouts) relative to its image. Names and metadata come
 * from the files rows; content, where a rule needs it, is read through the VFS from the upper
 * directory on the node (host_path), at most FIND_HEAD_MAX bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "findings_int.h"
#include "husk/strbuf.h"

/* ---------------------------------------------------------------- shared tests */

/* Added or changed (the file's bytes are the container's). */
static int is_new(const ufile *u)
{
    return u->change && (strcmp(u->change, "A") == 0 || strcmp(u->change, "C") == 0);
}

static int is_new_file(const ufile *u)
{
    return is_new(u) && u->type && strcmp(u->type, "file") == 0;
}

static int is_deleted(const ufile *u)
{
    return u->change && strcmp(u->change, "D") == 0;
}

static const char *const tmp_dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};

static int in_tmp(const char *path)
{
    char clean[FIND_PATH_MAX];
    if (husk_path_clean(path, clean, sizeof clean) < 0)
        return 0;
    for (size_t i = 0; i < sizeof tmp_dirs / sizeof tmp_dirs[0]; i++)
        if (husk_path_under(clean, tmp_dirs[i]) && strcmp(clean, tmp_dirs[i]) != 0)
            return 1;
    return 0;
}

static const char *const bin_dirs[] = {"/bin",      "/sbin",          "/usr/bin",
                                       "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"};

static int in_bin_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    size_t k = (size_t)(slash - path);
    for (size_t i = 0; i < sizeof bin_dirs / sizeof bin_dirs[0]; i++)
        if (strlen(bin_dirs[i]) == k && strncmp(path, bin_dirs[i], k) == 0)
            return 1;
    return 0;
}

/* The extension of a file name, lower case, without the dot ("" when none). */
static void extension(const char *path, char *out, size_t n)
{
    const char *base = path_base(path), *dot = strrchr(base, '.');
    size_t k = 0;
    if (dot && dot != base)
        for (dot++; *dot && k + 1 < n; dot++)
            out[k++] = (char)tolower((unsigned char)*dot);
    out[k] = '\0';
}

static int one_of(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static const char *const script_exts[] = {"sh", "bash", "ash", "zsh", "ksh", "py", "pl", "rb"};

/* A script, as far as the kernel or a shell would run it: a "#!" line, or a script extension
 * on a text file. */
static int looks_like_script(const ufile *u, const char *head, size_t len)
{
    if (len >= 2 && head[0] == '#' && head[1] == '!')
        return 1;
    char ext[16];
    extension(u->path, ext, sizeof ext);
    return one_of(ext, script_exts, sizeof script_exts / sizeof script_exts[0]) &&
           !memchr(head, '\0', len);
}

static int is_elf(const char *head, size_t len)
{
    return len >= 4 && memcmp(head,
                              "\x7f"
                              "ELF",
                              4) == 0;
}

/* Who wrote it, for the evidence line. */
static const char *owner(const ufile *u)
{
    return u->c ? u->c->label : u->container_id ? u->container_id : "an unknown container";
}

/* ---------------------------------------------------------------- rules */

int rule_exec_in_tmp(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u) || !in_tmp(u->path))
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    const char *kind = NULL;
    if (head && is_elf(head, len))
        kind = "ELF executable";
    else if (head && len >= 2 && head[0] == '#' && head[1] == '!')
        kind = "script";
    else if (u->mode != HUSK_NULL_INT && (u->mode & 0111))
        kind = "executable";
    if (!kind)
        return 0;
    char mode[16] = "?";
    if (u->mode != HUSK_NULL_INT)
        snprintf(mode, sizeof mode, "%04llo", (unsigned long long)(u->mode & 07777));
    return finding_emit(f, r, 0, u->container_id, u->path,
                        "%s %s in the upper layer of %s: %s, mode %s, %lld bytes",
                        strcmp(u->change, "A") == 0 ? "added" : "changed", u->path, owner(u), kind,
                        mode, (long long)(u->size == HUSK_NULL_INT ? -1 : u->size));
}

int rule_bin_link_to_tmp(fctx *f, const frule *r, ufile *u)
{
    if (!is_new(u) || !u->type || strcmp(u->type, "symlink") != 0 || !u->link_target ||
        !in_bin_dir(u->path))
        return 0;
    /* a relative target counts from the link's directory */
    char joined[FIND_PATH_MAX * 2];
    if (u->link_target[0] == '/')
        snprintf(joined, sizeof joined, "%s", u->link_target);
    else
        snprintf(joined, sizeof joined, "%.*s/%s", (int)(path_base(u->path) - u->path), u->path,
                 u->link_target);
    if (!in_tmp(joined))
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path, "%s -> %s in the upper layer of %s",
                        u->path, u->link_target, owner(u));
}

static const char *const web_roots[] = {
    "/var/www",
    "/srv/www",
    "/srv/http",
    "/usr/share/nginx",
    "/usr/local/apache2/htdocs",
    "/usr/share/httpd",
    "/usr/local/tomcat/webapps",
    "/opt/tomcat/webapps",
    "/var/lib/jetty/webapps",
    "/opt/lampp/htdocs",
    "/var/lib/tomcat",
};

static const char *const server_exts[] = {"php",   "php3", "php4", "php5", "php7",
                                          "phtml", "phar", "jsp",  "jspx", "asp",
                                          "aspx",  "ashx", "asmx", "cfm",  "cgi"};

/* What runs a command or code, and where a request's input comes in. */
static const char *const exec_calls[] = {"system(",
                                         "passthru(",
                                         "shell_exec(",
                                         "exec(",
                                         "popen(",
                                         "proc_open(",
                                         "eval(",
                                         "assert(",
                                         "pcntl_exec(",
                                         "create_function(",
                                         "getRuntime().exec(",
                                         "ProcessBuilder(",
                                         "Process.Start(",
                                         "WScript.Shell"};
static const char *const request_inputs[] = {
    "$_GET",        "$_POST",      "$_REQUEST",     "$_COOKIE",     "$_FILES",
    "$_SERVER[",    "php://input", "getParameter(", "Request.Form", "Request.QueryString",
    "Request.Item", "Request["};

static const char *find_any(const char *head, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mem_find_ci(head, len, list[i]))
            return list[i];
    return NULL;
}

static int in_web_root(const char *path)
{
    for (size_t i = 0; i < sizeof web_roots / sizeof web_roots[0]; i++)
        if (strncmp(path, web_roots[i], strlen(web_roots[i])) == 0)
            return 1; /* a prefix: /var/lib/tomcat9/webapps counts too */
    return 0;
}

int rule_web_shell(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u))
        return 0;
    char ext[16];
    extension(u->path, ext, sizeof ext);
    int server = one_of(ext, server_exts, sizeof server_exts / sizeof server_exts[0]);
    int webroot = in_web_root(u->path);
    if (!server && !webroot)
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    const char *call =
        head ? find_any(head, len, exec_calls, sizeof exec_calls / sizeof *exec_calls) : NULL;
    const char *input =
        call ? find_any(head, len, request_inputs, sizeof request_inputs / sizeof *request_inputs)
             : NULL;
    if (call && input)
        return finding_emit(f, r, 0, u->container_id, u->path,
                            "%s %s in the upper layer of %s calls %s on request input (%s)",
                            strcmp(u->change, "A") == 0 ? "added" : "changed", u->path, owner(u),
                            call, input);
    if (server && webroot)
        return finding_emit(f, r, 1, u->container_id, u->path,
                            "server-side script %s %s in a web root, upper layer of %s", u->path,
                            strcmp(u->change, "A") == 0 ? "added" : "changed", owner(u));
    return 0;
}

int passwd_extra_uid0(const char *text, size_t len, char *out, size_t n)
{
    int count = 0;
    size_t o = 0;
    if (n)
        out[0] = '\0';
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && text[e] != '\n')
            e++;
        /* name:password:uid:... */
        const char *line = text + i, *c1 = memchr(line, ':', e - i);
        const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(text + e - c1 - 1)) : NULL;
        const char *c3 = c2 ? memchr(c2 + 1, ':', (size_t)(text + e - c2 - 1)) : NULL;
        size_t nlen = c1 ? (size_t)(c1 - line) : 0;
        if (c3 && c3 - c2 == 2 && c2[1] == '0' && nlen > 0 &&
            !(nlen == 4 && memcmp(line, "root", 4) == 0) && line[0] != '#') {
            count++;
            int k = snprintf(out + o, n > o ? n - o : 0, "%s%.*s", count > 1 ? ", " : "",
                             (int)(nlen > 64 ? 64 : nlen), line);
            if (k > 0 && o + (size_t)k < n)
                o += (size_t)k;
        }
        i = e + 1;
    }
    return count;
}

int rule_uid0_account(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u) || strcmp(u->path, "/etc/passwd") != 0)
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    char names[512];
    int n = head ? passwd_extra_uid0(head, len, names, sizeof names) : 0;
    if (n == 0)
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path,
                        "/etc/passwd in the upper layer of %s has %d uid-0 account%s besides "
                        "root: %s",
                        owner(u), n, n > 1 ? "s" : "", names);
}

static const char *const histories[] = {".bash_history",  ".ash_history", ".zsh_history",
                                        ".sh_history",    ".history",     ".python_history",
                                        ".mysql_history", ".psql_history"};

int rule_shell_history(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u) ||
        !one_of(path_base(u->path), histories, sizeof histories / sizeof *histories))
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path,
                        "%s (%lld bytes) in the upper layer of %s", u->path,
                        (long long)(u->size == HUSK_NULL_INT ? -1 : u->size), owner(u));
}

/* Tool names. prefix: also "name.sh", "name_linux_amd64", "name-v2"; elf: only an ELF binary
 * counts (a static client of the runtime or of Kubernetes, not a wrapper script). */
static const struct {
    const char *name;
    int prefix, elf;
} tools[] = {
    {"deepce", 1, 0},     {"cdk", 1, 0},     {"amicontained", 1, 0}, {"botb", 1, 0},
    {"linpeas", 1, 0},    {"linenum", 1, 0}, {"peirates", 1, 0},     {"kube-hunter", 1, 0},
    {"kubeletctl", 1, 0}, {"traitor", 1, 0}, {"pspy", 1, 0},         {"pspy64", 1, 0},
    {"nsenter", 0, 0},    {"docker", 0, 1},  {"kubectl", 0, 1},      {"crictl", 0, 1},
    {"ctr", 0, 1},        {"socat", 0, 0},   {"ncat", 0, 0},         {"chisel", 1, 0},
    {"frpc", 1, 0},       {"frps", 1, 0},    {"gost", 0, 0},         {"ligolo", 1, 0},
};

static int name_matches(const char *base, const char *name, int prefix)
{
    size_t k = strlen(name);
    if (strncasecmp(base, name, k) != 0)
        return 0;
    return base[k] == '\0' || (prefix && (base[k] == '.' || base[k] == '_' || base[k] == '-'));
}

int rule_escape_tooling(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u))
        return 0;
    const char *base = path_base(u->path);
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        if (!name_matches(base, tools[i].name, tools[i].prefix))
            continue;
        size_t len = 0;
        const char *head = tools[i].elf ? ufile_head(f, u, &len) : NULL;
        if (tools[i].elf && !(head && is_elf(head, len)))
            return 0;
        return finding_emit(f, r, 0, u->container_id, u->path,
                            "%s %s in the upper layer of %s (%s%s, %lld bytes)",
                            strcmp(u->change, "A") == 0 ? "added" : "changed", u->path, owner(u),
                            tools[i].name, tools[i].elf ? ", ELF binary" : "",
                            (long long)(u->size == HUSK_NULL_INT ? -1 : u->size));
    }
    return 0;
}

/* Text of escapes through cgroups, core dumps, overlay paths and the host's namespaces. */
static const char *const escape_strings[] = {
    "release_agent",
    "notify_on_release",
    "core_pattern",
    "upperdir=",
    "mount -t cgroup",
    "/proc/sysrq-trigger",
    "nsenter -t 1",
    "nsenter --target 1",
    "chroot /host",
    "/proc/1/root",
    "--unix-socket /var/run/docker.sock",
    "--unix-socket /run/docker.sock",
    "debugfs ",
    "/proc/self/exe",
};

int rule_escape_strings(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u))
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    if (!head || !looks_like_script(u, head, len))
        return 0;
    husk_strbuf seen = HUSK_STRBUF_INIT;
    int n = 0;
    for (size_t i = 0; i < sizeof escape_strings / sizeof escape_strings[0]; i++)
        if (mem_find_ci(head, len, escape_strings[i]) && n++ < 6)
            husk_sb_addf(&seen, "%s\"%s\"", n > 1 ? ", " : "", escape_strings[i]);
    int rc = 0;
    if (n > 0)
        rc = finding_emit(f, r, 0, u->container_id, u->path,
                          "script %s in the upper layer of %s contains %s", u->path, owner(u),
                          husk_sb_str(&seen));
    husk_sb_release(&seen);
    return rc;
}

/* A line that fetches with wget or curl and pipes into a shell. */
static int fetch_pipe_line(const char *line, size_t n)
{
    static const char *const pipes[] = {"| sh",      "|sh",      "| bash",      "|bash",
                                        "| /bin/sh", "|/bin/sh", "| /bin/bash", "|/bin/bash"};
    if (!mem_find_ci(line, n, "wget") && !mem_find_ci(line, n, "curl"))
        return 0;
    for (size_t i = 0; i < sizeof pipes / sizeof pipes[0]; i++) {
        const char *p = mem_find_ci(line, n, pipes[i]);
        size_t k = strlen(pipes[i]);
        /* "| sh" but not "| shasum" */
        if (p && (p + k == line + n || !isalnum((unsigned char)p[k])))
            return 1;
    }
    return 0;
}

int rule_download_exec(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u))
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    if (!head || !looks_like_script(u, head, len))
        return 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(head + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - head) : len;
        if (fetch_pipe_line(head + i, e - i)) {
            size_t show = e - i > 160 ? 160 : e - i;
            return finding_emit(f, r, 0, u->container_id, u->path,
                                "script %s in the upper layer of %s: %.*s%s", u->path, owner(u),
                                (int)show, head + i, e - i > show ? "..." : "");
        }
        i = e + 1;
    }
    return 0;
}

static const char *const miners[] = {"xmrig",   "xmr-stak", "minerd",   "cpuminer",   "t-rex",
                                     "nbminer", "lolminer", "ethminer", "kdevtmpfsi", "kinsing"};
static const char *const pools[] = {"stratum+tcp://", "stratum+ssl://", "stratum2+tcp://",
                                    "stratum+tls://"};

#define MINER_SCAN_MAX (64u << 10) /* pool configurations are small; bound the reads */

int rule_cryptominer(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u))
        return 0;
    const char *base = path_base(u->path);
    for (size_t i = 0; i < sizeof miners / sizeof miners[0]; i++)
        if (name_matches(base, miners[i], 1))
            return finding_emit(f, r, 0, u->container_id, u->path,
                                "%s in the upper layer of %s (%s, %lld bytes)", u->path, owner(u),
                                miners[i], (long long)(u->size == HUSK_NULL_INT ? -1 : u->size));
    if (u->size == HUSK_NULL_INT || u->size > (int64_t)MINER_SCAN_MAX)
        return 0;
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    const char *pool = head ? find_any(head, len, pools, sizeof pools / sizeof *pools) : NULL;
    if (!pool)
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path,
                        "%s in the upper layer of %s names a mining pool (%s...)", u->path,
                        owner(u), pool);
}

/* Lines of a shadow(5) file: name:hash:lastchg:min:max:warn:inactive:expire:reserved, with
 * lastchg empty or digits. Returns the number of such lines; *root says whether root's is one. */
static int shadow_lines(const char *text, size_t len, int *root)
{
    int n = 0;
    *root = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        const char *line = text + i;
        size_t k = e - i, colons = 0, third = 0, digits_ok = 1, name_len = 0;
        for (size_t j = 0; j < k; j++) {
            if (line[j] == ':') {
                if (++colons == 1)
                    name_len = j;
                if (colons == 2)
                    third = j + 1;
            } else if (colons == 2 && !(line[j] >= '0' && line[j] <= '9')) {
                digits_ok = 0;
            }
        }
        if (colons == 8 && name_len > 0 && third > 0 && digits_ok && !memchr(line, '\0', k)) {
            n++;
            *root |= name_len == 4 && memcmp(line, "root", 4) == 0;
        }
        i = e + 1;
    }
    return n;
}

int rule_credential_dump(fctx *f, const frule *r, ufile *u)
{
    if (!is_new_file(u) || strncmp(u->path, "/etc/", 5) == 0)
        return 0; /* /etc/shadow and its backups are where they belong */
    size_t len = 0;
    const char *head = ufile_head(f, u, &len);
    int root = 0;
    int n = head ? shadow_lines(head, len, &root) : 0;
    if (n < 2 || !root)
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path,
                        "%s in the upper layer of %s holds a shadow file (%d accounts, root's "
                        "among them)",
                        u->path, owner(u), n);
}

static const char *const security_tools[] = {
    "auditd",    "auditctl",   "ausearch", "falco", "osqueryd",  "osqueryi",   "aide",
    "rkhunter",  "chkrootkit", "clamscan", "clamd", "freshclam", "tripwire",   "apparmor_parser",
    "aa-status", "getenforce", "sestatus", "ps",    "netstat",   "ss",         "top",
    "lsof",      "last",       "lastlog",  "who",   "w",         "journalctl", "strace"};

int rule_security_tool_removed(fctx *f, const frule *r, ufile *u)
{
    if (!(is_deleted(u) || (is_new_file(u) && strcmp(u->change, "C") == 0)) ||
        !in_bin_dir(u->path) ||
        !one_of(path_base(u->path), security_tools, sizeof security_tools / sizeof *security_tools))
        return 0;
    return finding_emit(f, r, 0, u->container_id, u->path, "%s %s in the upper layer of %s",
                        u->path, is_deleted(u) ? "deleted (whiteout)" : "replaced", owner(u));
}
