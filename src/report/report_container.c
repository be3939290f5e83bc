/* One container's part of the report: identity, command, times, rights, mounts, findings, its
 * file-system changes with suspicious files marked, log excerpts and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report_int.h"

enum {
    C_ID, C_NAME, C_IMAGE_ID, C_IMAGE_REF, C_CREATED, C_STARTED, C_FINISHED, C_STATE, C_EXIT,
    C_PID, C_RESTARTS, C_DRIVER, C_RW, C_PATH, C_ARGS, C_ENTRYPOINT, C_CMD, C_ENV, C_USER,
    C_WORKDIR, C_LABELS, C_LOGDRIVER, C_PRIV, C_PIDMODE, C_IPC, C_NET, C_USERNS, C_CGROUPNS,
    C_UTS, C_CAPADD, C_CAPDROP, C_SECOPT, C_DEVICES, C_MASKED, C_RO, C_BINDS, C_RF, C_CONF,
    C_NCOLS
};

static const char *SQL_CTR =
    "SELECT id, name, image_id, image_ref, created, started_at, finished_at, state, exit_code, "
    "pid, restart_count, driver, rw_layer, path, args, entrypoint, cmd, env, user, working_dir, "
    "labels, log_driver, privileged, pid_mode, ipc_mode, network_mode, userns_mode, "
    "cgroupns_mode, uts_mode, cap_add, cap_drop, security_opt, devices, masked_paths, "
    "readonly_rootfs, binds, recovered_from, confidence FROM containers WHERE id = ?1";

static const char *txt(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void row_begin(rep *r, const char *label)
{
    r_fmt(r, "<tr><th>%s</th><td>", label);
}

static void row_col(rep *r, const char *label, sqlite3_stmt *st, int i, int mono)
{
    row_begin(r, label);
    if (mono)
        r_raw(r, "<span class=\"mono\">");
    r_col(r, st, i, 2000, 0);
    r_raw(r, mono ? "</span></td></tr>\n" : "</td></tr>\n");
}

/* Appends a shell-like quoted word: as is when it holds only safe characters. */
static void shell_word(husk_strbuf *sb, const char *s)
{
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-",
                    *p))
            plain = 0;
    if (plain) {
        husk_sb_adds(sb, s);
        return;
    }
    husk_sb_adds(sb, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            husk_sb_adds(sb, "'\\''");
        else
            husk_sb_add(sb, p, 1);
    }
    husk_sb_adds(sb, "'");
}

/* The command line (path and args) in a <pre>, quoted as a shell would need it. */
static void command(rep *r, const char *path, const char *args_json)
{
    husk_strbuf cmd = HUSK_STRBUF_INIT;
    if (path)
        shell_word(&cmd, path);
    json_t *a = args_json ? json_loads(args_json, 0, NULL) : NULL;
    if (json_is_array(a)) {
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
        {
            if (!json_is_string(v))
                continue;
            husk_sb_adds(&cmd, " ");
            shell_word(&cmd, json_string_value(v));
        }
    } else if (args_json) {
        husk_sb_adds(&cmd, " ");
        husk_sb_adds(&cmd, args_json);
    }
    json_decref(a);
    r_raw(r, "<pre class=\"cmd\">");
    r_escn(r, husk_sb_str(&cmd), cmd.len, 6000, HUSK_HTML_NL);
    r_raw(r, "</pre>");
    husk_sb_release(&cmd);
}

static int dangerous_cap(const char *c)
{
    static const char *const bad[] = {"ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE",
                                      "DAC_READ_SEARCH", "DAC_OVERRIDE", "NET_ADMIN", "SYS_RAWIO",
                                      "BPF", "SYS_BOOT", "MKNOD", "SYS_TIME", "PERFMON", NULL};
    if (strncmp(c, "CAP_", 4) == 0)
        c += 4;
    for (int i = 0; bad[i]; i++)
        if (strcasecmp(c, bad[i]) == 0)
            return 1;
    return 0;
}

/* A JSON array of strings as tags (bad ones marked by is_bad), bounded; other JSON as text. */
static void tags(rep *r, const char *json, int (*is_bad)(const char *), size_t max)
{
    if (!json) {
        r_raw(r, "<span class=\"na\">\xE2\x80\x94</span>");
        return;
    }
    json_t *a = json_loads(json, 0, NULL);
    if (!json_is_array(a)) {
        r_raw(r, "<span class=\"mono\">");
        r_escn(r, json, strlen(json), 2000, 0);
        r_raw(r, "</span>");
        json_decref(a);
        return;
    }
    size_t i, n = json_array_size(a);
    json_t *v;
    if (n == 0)
        r_raw(r, "<span class=\"na\">none</span>");
    json_array_foreach(a, i, v)
    {
        if (i >= max) {
            r_fmt(r, " <span class=\"more\">%zu more</span>", n - max);
            break;
        }
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        char *d = s ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *t = s ? s : d ? d : "?";
        r_fmt(r, "<span class=\"tag%s\">", is_bad && is_bad(t) ? " bad" : "");
        r_escn(r, t, strlen(t), 1000, 0);
        r_raw(r, "</span> ");
        free(d);
    }
    json_decref(a);
}

/* The value of KEY=... or KEY:... entries of security_opt (e.g. seccomp, apparmor). */
static int secopt(const char *json, const char *key, char *out, size_t n)
{
    json_t *a = json ? json_loads(json, 0, NULL) : NULL;
    size_t i, kl = strlen(key);
    json_t *v;
    int found = 0;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, kl) == 0 && (s[kl] == '=' || s[kl] == ':')) {
            snprintf(out, n, "%s", s + kl + 1);
            found = 1;
        }
    }
    json_decref(a);
    return found;
}

static void confinement(rep *r, const char *label, const char *secjson, const char *key,
                        int privileged, const char *dflt)
{
    char v[512];
    row_begin(r, label);
    if (privileged)
        r_raw(r, "<span class=\"tag bad\">off</span> (privileged)");
    else if (secopt(secjson, key, v, sizeof v)) {
        int off = strcmp(v, "unconfined") == 0;
        r_fmt(r, "<span class=\"tag%s\">", off ? " bad" : "");
        r_escn(r, v, strlen(v), 300, 0);
        r_fmt(r, "</span>%s", off ? " (confinement off)" : "");
    } else {
        r_fmt(r, "%s <span class=\"dim\">(no option set)</span>", dflt);
    }
    r_raw(r, "</td></tr>\n");
}

static void ns_row(rep *r, const char *label, sqlite3_stmt *st, int i)
{
    const char *v = txt(st, i);
    row_begin(r, label);
    if (!v || !*v)
        r_raw(r, "<span class=\"dim\">private (default)</span>");
    else {
        int host = strcmp(v, "host") == 0;
        r_fmt(r, "<span class=\"tag%s\">", host ? " bad" : "");
        r_escn(r, v, strlen(v), 300, 0);
        r_raw(r, host ? "</span> shared with the host" : "</span>");
    }
    r_raw(r, "</td></tr>\n");
}

static void rights(rep *r, sqlite3_stmt *st)
{
    int priv = sqlite3_column_int(st, C_PRIV);
    r_raw(r, "<h4>Rights</h4><table class=\"kv\"><tbody>\n");
    row_begin(r, "privileged");
    if (sqlite3_column_type(st, C_PRIV) == SQLITE_NULL)
        r_raw(r, "<span class=\"na\">unknown</span>");
    else
        r_raw(r, priv ? "<span class=\"tag bad\">yes</span> all capabilities, all devices, no "
                        "seccomp, AppArmor or masked paths"
                      : "no");
    r_raw(r, "</td></tr>\n");
    row_begin(r, "capabilities added");
    tags(r, txt(st, C_CAPADD), dangerous_cap, 64);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "capabilities dropped");
    tags(r, txt(st, C_CAPDROP), NULL, 64);
    r_raw(r, "</td></tr>\n");
    ns_row(r, "PID namespace", st, C_PIDMODE);
    ns_row(r, "network", st, C_NET);
    ns_row(r, "IPC namespace", st, C_IPC);
    ns_row(r, "UTS namespace", st, C_UTS);
    ns_row(r, "user namespace", st, C_USERNS);
    ns_row(r, "cgroup namespace", st, C_CGROUPNS);
    confinement(r, "seccomp", txt(st, C_SECOPT), "seccomp", priv, "runtime default profile");
    confinement(r, "AppArmor", txt(st, C_SECOPT), "apparmor", priv, "docker-default");
    row_begin(r, "security options");
    tags(r, txt(st, C_SECOPT), NULL, 32);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "devices");
    tags(r, txt(st, C_DEVICES), NULL, 32);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "masked paths");
    if (sqlite3_column_type(st, C_MASKED) == SQLITE_NULL)
        r_raw(r, "<span class=\"na\">none recorded</span>");
    else if (strcmp(txt(st, C_MASKED), "[]") == 0)
        r_raw(r, "<span class=\"tag warn\">masks disabled</span>");
    else
        tags(r, txt(st, C_MASKED), NULL, 32);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "read-only root");
    r_raw(r, sqlite3_column_type(st, C_RO) == SQLITE_NULL ? "<span class=\"na\">unknown</span>"
             : sqlite3_column_int(st, C_RO)               ? "yes"
                                                          : "no");
    r_raw(r, "</td></tr>\n</tbody></table>\n");
}

static void mounts(rep *r, const char *id)
{
    sqlite3_stmt *st = r_prep(r, "SELECT type, source, destination, rw, propagation, volume_name "
                                 "FROM mounts WHERE container_id = ?1 ORDER BY destination");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    r_raw(r, "<h4>Mounts</h4>");
    unsigned n = 0;
    while (r_step(r, st)) {
        if (n++ == 0)
            r_raw(r, "<table><thead><tr><th>type</th><th>source (host)</th><th>destination "
                     "(container)</th><th>mode</th><th>propagation</th><th>volume</th></tr>"
                     "</thead><tbody>\n");
        if (n > r->max_rows)
            continue;
        r_raw(r, "<tr>");
        r_td(r, st, 0, NULL);
        r_td(r, st, 1, "mono");
        r_td(r, st, 2, "mono");
        r_raw(r, sqlite3_column_int(st, 3) ? "<td><span class=\"tag warn\">rw</span></td>"
                                           : "<td>ro</td>");
        r_td(r, st, 4, NULL);
        r_td(r, st, 5, "mono");
        r_raw(r, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (n)
        r_raw(r, "</tbody></table>\n");
    else
        r_raw(r, "<p class=\"na\">no mounts</p>\n");
    if (n > r->max_rows)
        r_fmt(r, "<p class=\"more\">%u more mounts not shown</p>", n - r->max_rows);
}

static void findings(rep *r, const char *id)
{
    sqlite3_stmt *st = r_prep(
        r, "SELECT id, severity, rule, evidence FROM findings WHERE container_id = ?1 ORDER BY "
           "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
           "WHEN 'low' THEN 3 ELSE 4 END, rule, path, id");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    r_raw(r, "<h4>Findings</h4>");
    unsigned n = 0;
    while (r_step(r, st)) {
        if (n++ == 0)
            r_raw(r, "<ul class=\"rec\">");
        if (n > r->max_rows)
            continue;
        long long fid = sqlite3_column_int64(st, 0);
        r_fmt(r, "<li><a href=\"#finding-%lld\">#%lld</a> ", fid, fid);
        r_sev(r, txt(st, 1));
        r_raw(r, " <code>");
        r_col(r, st, 2, 100, 0);
        r_raw(r, "</code> ");
        r_col(r, st, 3, 1000, 0);
        r_raw(r, "</li>\n");
    }
    sqlite3_finalize(st);
    if (n)
        r_raw(r, "</ul>\n");
    else
        r_raw(r, "<p class=\"na\">none</p>\n");
    if (n > r->max_rows)
        r_fmt(r, "<p class=\"more\">%u more findings not shown</p>", n - r->max_rows);
}

static void diff(rep *r, const char *id)
{
    long long total = r_count(r, "SELECT count(*) FROM files WHERE container_id = ?1 AND "
                                 "scope = 'upper'",
                              id);
    long long ndiff = r_count(r, "SELECT count(*) FROM container_diff WHERE container_id = ?1", id);
    r_raw(r, "<h4>File-system changes (upper layer)</h4>");
    if (total <= 0 && ndiff > 0) {
        /* diff lines without files rows: show what docker diff printed */
        r_fmt(r, "<p class=\"dim\">%lld docker diff lines (no file metadata was recorded)</p>",
              ndiff);
        sqlite3_stmt *st = r_prep(r, "SELECT change, path FROM container_diff WHERE "
                                     "container_id = ?1 ORDER BY path");
        if (st)
            sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        r_raw(r, "<table><thead><tr><th>change</th><th>path</th></tr></thead><tbody>\n");
        long long shown = 0;
        while (r_step(r, st) && shown < r->max_rows) {
            shown++;
            r_raw(r, "<tr>");
            r_td(r, st, 0, NULL);
            r_td(r, st, 1, "mono");
            r_raw(r, "</tr>\n");
        }
        sqlite3_finalize(st);
        r_raw(r, "</tbody></table>\n");
        if (ndiff > shown)
            r_fmt(r, "<p class=\"more\">%lld more diff lines not shown</p>", ndiff - shown);
        return;
    }
    if (total <= 0) {
        r_raw(r, "<p class=\"na\">no changes recorded</p>\n");
        return;
    }
    r_fmt(r, "<p class=\"dim\">%lld entries in the writable layer (%lld docker diff lines); "
             "entries a finding points at, executables, ELF files and hidden files come "
             "first and are marked.</p>",
          total, ndiff < 0 ? 0 : ndiff);
    sqlite3_stmt *st = r_prep(
        r, "SELECT change, type, mode, size, mtime, magic, path, recovered_from, confidence, "
           "link_target, (SELECT group_concat(id || ' ' || rule, ',') FROM findings g "
           "WHERE g.container_id = f.container_id AND g.path = f.path) AS rules, "
           "(type = 'file' AND mode IS NOT NULL AND (mode & 73) != 0) AS exe, "
           "(magic LIKE 'ELF %') AS elf, "
           "(path GLOB '*/.*') AS hidden "
           "FROM files f WHERE container_id = ?1 AND scope = 'upper' "
           "ORDER BY rules IS NULL, NOT (exe OR elf), NOT hidden, path, id");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    r_raw(r, "<table><thead><tr><th>chg</th><th>path</th><th>type</th><th>mode</th>"
             "<th>size</th><th>mtime</th><th>libmagic</th><th>marks</th></tr></thead><tbody>\n");
    long long shown = 0;
    while (r_step(r, st) && shown < r->max_rows) {
        shown++;
        const char *rules = txt(st, 10);
        int exe = sqlite3_column_int(st, 11), elf = sqlite3_column_int(st, 12),
            hidden = sqlite3_column_int(st, 13);
        r_raw(r, rules ? "<tr class=\"sus\">" : "<tr>");
        r_td(r, st, 0, NULL);
        r_raw(r, "<td class=\"mono\">");
        r_col(r, st, 6, 2000, 0);
        if (txt(st, 9)) {
            r_raw(r, " \xE2\x86\x92 ");
            r_col(r, st, 9, 1000, 0);
        }
        r_raw(r, "</td>");
        r_td(r, st, 1, NULL);
        if (sqlite3_column_type(st, 2) == SQLITE_NULL)
            r_raw(r, "<td class=\"na\">\xE2\x80\x94</td>");
        else
            r_fmt(r, "<td class=\"mono\">%04llo</td>",
                  (unsigned long long)sqlite3_column_int64(st, 2) & 07777);
        r_td(r, st, 3, NULL);
        r_raw(r, "<td class=\"mono\">");
        r_time_ns(r, txt(st, 4));
        r_raw(r, "</td>");
        r_td(r, st, 5, NULL);
        r_raw(r, "<td>");
        if (rules) {
            /* "12 web-shell,13 exec-in-tmp": links to the findings */
            const char *p = rules;
            while (*p) {
                const char *e = strchr(p, ',');
                size_t l = e ? (size_t)(e - p) : strlen(p);
                long long fid = atoll(p);
                const char *sp = memchr(p, ' ', l);
                r_fmt(r, "<a href=\"#finding-%lld\"><span class=\"tag bad\">", fid);
                if (sp)
                    r_escn(r, sp + 1, l - (size_t)(sp + 1 - p), 100, 0);
                r_raw(r, "</span></a> ");
                p = e ? e + 1 : p + l;
            }
        }
        if (elf)
            r_raw(r, "<span class=\"tag warn\">ELF</span> ");
        if (exe)
            r_raw(r, "<span class=\"tag warn\">executable</span> ");
        if (hidden)
            r_raw(r, "<span class=\"tag\">hidden</span> ");
        r_prov(r, txt(st, 7), sqlite3_column_double(st, 8),
               sqlite3_column_type(st, 8) != SQLITE_NULL);
        r_raw(r, "</td></tr>\n");
    }
    sqlite3_finalize(st);
    r_raw(r, "</tbody></table>\n");
    if (total > shown)
        r_fmt(r, "<p class=\"more\">%lld more entries not shown (%lld in all)</p>", total - shown,
              total);
}

static void log_rows(rep *r, const char *id, const char *order, long long limit, int reverse)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT * FROM (SELECT time, stream, message, recovered_from, partial, seq, id FROM "
             "logs WHERE container_id = ?1 ORDER BY seq %s, id %s LIMIT ?2) ORDER BY seq %s, id %s",
             order, order, reverse ? "ASC" : order, reverse ? "ASC" : order);
    sqlite3_stmt *st = r_prep(r, sql);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, limit);
    while (r_step(r, st)) {
        r_raw(r, "<tr><td class=\"mono\">");
        r_time_ns(r, txt(st, 0));
        r_raw(r, "</td>");
        const char *s = txt(st, 1);
        r_fmt(r, "<td%s>", s && strcmp(s, "stderr") == 0 ? " class=\"bad\"" : "");
        r_col(r, st, 1, 20, 0);
        r_raw(r, "</td><td class=\"mono\">");
        r_col(r, st, 2, 600, 0);
        r_prov(r, txt(st, 3), 0, 0);
        r_raw(r, "</td></tr>\n");
    }
    sqlite3_finalize(st);
}

static void logs(rep *r, const char *id)
{
    long long total = r_count(r, "SELECT count(*) FROM logs WHERE container_id = ?1", id);
    r_raw(r, "<h4>Logs</h4>");
    if (total <= 0) {
        r_raw(r, "<p class=\"na\">no log lines</p>\n");
        return;
    }
    long long k = r->log_lines;
    r_fmt(r, "<p class=\"dim\">%lld line%s", total, total == 1 ? "" : "s");
    if (total > 2 * k)
        r_fmt(r, "; the first %lld and the last %lld (<code>husk logs</code> prints all)", k, k);
    r_raw(r, "</p><table><thead><tr><th style=\"width:215px\">time</th><th style=\"width:50px\">"
             "stream</th><th>message</th></tr></thead><tbody>\n");
    if (total <= 2 * k) {
        log_rows(r, id, "ASC", total, 0);
    } else {
        log_rows(r, id, "ASC", k, 0);
        r_fmt(r, "<tr><td colspan=\"3\" class=\"more\">\xE2\x8B\xAF %lld lines not shown "
                 "\xE2\x8B\xAF</td></tr>\n",
              total - 2 * k);
        log_rows(r, id, "DESC", k, 1);
    }
    r_raw(r, "</tbody></table>\n");
}

static void errors(rep *r, const char *id, const char *rw)
{
    sqlite3_stmt *st = r_prep(
        r, "SELECT id, phase, object, offset, message FROM errors WHERE instr(object, ?1) OR "
           "instr(message, ?1) OR (length(?2) >= 12 AND (instr(object, ?2) OR instr(message, ?2))) "
           "ORDER BY id");
    if (!st)
        return;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (rw)
        sqlite3_bind_text(st, 2, rw, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    r_raw(r, "<h4>Errors</h4>");
    unsigned n = 0;
    while (r_step(r, st)) {
        if (n++ == 0)
            r_raw(r, "<table><thead><tr><th>#</th><th>phase</th><th>object</th><th>offset</th>"
                     "<th>message</th></tr></thead><tbody>\n");
        if (n > r->max_rows)
            continue;
        r_raw(r, "<tr>");
        for (int i = 0; i < 5; i++)
            r_td(r, st, i, i == 2 ? "mono" : NULL);
        r_raw(r, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (n)
        r_raw(r, "</tbody></table>\n");
    else
        r_raw(r, "<p class=\"na\">none recorded for this container's ID or writable layer</p>\n");
    if (n > r->max_rows)
        r_fmt(r, "<p class=\"more\">%u more errors not shown</p>", n - r->max_rows);
}

void report_container(rep *r, size_t idx)
{
    const rep_ctr *c = &r->c[idx];
    sqlite3_stmt *st = r_prep(r, SQL_CTR);
    if (!st)
        return;
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
    if (!r_step(r, st)) {
        sqlite3_finalize(st);
        return;
    }
    r_fmt(r, "<section class=\"ctr\" id=\"c%zu\"><h3>", idx);
    r_ctr_label(r, c);
    r_raw(r, " ");
    r_state(r, c->state);
    r_prov(r, c->recovered_from, c->confidence, c->confidence >= 0);
    r_raw(r, "</h3><div class=\"id\">");
    r_esc(r, c->id);
    r_raw(r, "</div>\n<table class=\"kv\"><tbody>\n");
    row_begin(r, "image");
    r_col(r, st, C_IMAGE_REF, 500, 0);
    r_raw(r, "<br><span class=\"id\">");
    r_col(r, st, C_IMAGE_ID, 200, 0);
    r_raw(r, "</span></td></tr>\n");
    row_begin(r, "command");
    if (txt(st, C_PATH) || txt(st, C_ARGS))
        command(r, txt(st, C_PATH), txt(st, C_ARGS));
    else
        r_raw(r, "<span class=\"na\">not recovered</span>");
    r_raw(r, "</td></tr>\n");
    row_col(r, "entrypoint", st, C_ENTRYPOINT, 1);
    row_col(r, "user", st, C_USER, 1);
    row_col(r, "working directory", st, C_WORKDIR, 1);
    row_col(r, "created", st, C_CREATED, 1);
    row_col(r, "started", st, C_STARTED, 1);
    row_col(r, "finished", st, C_FINISHED, 1);
    row_begin(r, "exit code, PID, restarts");
    r_col(r, st, C_EXIT, 40, 0);
    r_raw(r, ", ");
    r_col(r, st, C_PID, 40, 0);
    r_raw(r, ", ");
    r_col(r, st, C_RESTARTS, 40, 0);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "storage");
    r_col(r, st, C_DRIVER, 100, 0);
    r_raw(r, ", writable layer <span class=\"id\">");
    r_col(r, st, C_RW, 200, 0);
    r_raw(r, "</span></td></tr>\n");
    row_col(r, "log driver", st, C_LOGDRIVER, 0);
    row_begin(r, "labels");
    r_col(r, st, C_LABELS, 1500, 0);
    r_raw(r, "</td></tr>\n");
    row_begin(r, "environment");
    tags(r, txt(st, C_ENV), NULL, 40);
    r_raw(r, "</td></tr>\n</tbody></table>\n");
    rights(r, st);
    char *rw = txt(st, C_RW) ? strdup(txt(st, C_RW)) : NULL;
    sqlite3_finalize(st);
    mounts(r, c->id);
    findings(r, c->id);
    diff(r, c->id);
    logs(r, c->id);
    errors(r, c->id, rw);
    free(rw);
    r_raw(r, "</section>\n");
}
