/* The examiner's HTML report (include/husk/report.h): header, summary, evidence, timeline,
 * containers, findings, per-container details, images and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/casedb.h"
#include "husk/findings.h"
#include "report_int.h"

static const char CSS[] =
    ":root{--fg:#1d2330;--dim:#6b7280;--line:#d8dde6;--bg2:#f4f6f9;--acc:#1f4e8c}"
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:var(--fg);margin:0;background:#fff}"
    "header.top{background:#17223b;color:#fff;padding:18px 32px}"
    "header.top h1{margin:0 0 4px;font-size:22px;font-weight:600}"
    "header.top .meta{color:#c9d3e6;font-size:13px;word-break:break-all}"
    "main{max-width:1240px;margin:0 auto;padding:8px 32px 40px}"
    "nav.toc{margin:14px 0;padding:8px 12px;background:var(--bg2);border-radius:6px}"
    "nav.toc a{margin-right:16px;color:var(--acc);text-decoration:none;white-space:nowrap}"
    "h2{font-size:19px;border-bottom:2px solid var(--acc);padding-bottom:3px;margin:28px 0 10px;"
    "color:var(--acc)}"
    "h3{font-size:15px;margin:18px 0 6px}"
    "h4{font-size:13px;margin:14px 0 4px;color:#374151;text-transform:uppercase;"
    "letter-spacing:.04em}"
    "table{border-collapse:collapse;width:100%;margin:4px 0 10px;font-size:12.5px}"
    "th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:var(--bg2);font-weight:600}td.id{min-width:225px}"
    "table.kv th{width:210px}"
    "td,th{overflow-wrap:break-word}td.mono{overflow-wrap:anywhere}"
    ".nw{white-space:nowrap}td.id,.id{word-break:break-all}"
    ".mono,td.mono,code,pre{font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:12px}"
    "pre{background:var(--bg2);border:1px solid var(--line);padding:6px 8px;margin:4px 0;"
    "white-space:pre-wrap;overflow-wrap:anywhere}"
    "pre.cmd{max-height:26em;overflow:auto}"
    ".na,.dim{color:var(--dim)}"
    ".more{color:var(--dim);font-style:italic;margin:2px 0 10px}"
    ".cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}"
    ".card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:126px;"
    "background:#fff}"
    ".card b{display:block;font-size:22px}"
    ".card span{color:var(--dim);font-size:12px}"
    ".sev,.st,.tag,.prov{display:inline-block;border-radius:3px;padding:0 5px;font-size:11.5px;"
    "font-weight:600;white-space:nowrap}"
    ".sev-critical{background:#9b1c1c;color:#fff}.sev-high{background:#d9480f;color:#fff}"
    ".sev-medium{background:#f0b429;color:#222}.sev-low{background:#d0e2ff;color:#123}"
    ".sev-info,.sev-other{background:#e5e7eb;color:#222}"
    ".st-running{background:#d3f9d8;color:#1b5e20}.st-exited{background:#e5e7eb;color:#333}"
    ".st-created{background:#dbe4ff;color:#1e3a8a}.st-removed{background:#ffe3e3;color:#9b1c1c}"
    ".st-paused,.st-restarting,.st-dead,.st-removing,.st-other{background:#fff3bf;color:#5c3d00}"
    ".prov{background:#fff3bf;color:#5c3d00;font-weight:500}"
    ".tag{background:#eef1f6;color:#333;font-weight:500}"
    ".tag.bad{background:#9b1c1c;color:#fff}.tag.warn{background:#f0b429;color:#222}"
    "tr.sus td{background:#fff1f0}"
    ".bad{color:#9b1c1c;font-weight:600}"
    ".bar{display:inline-block;height:12px;vertical-align:middle;border-radius:2px}"
    "section.ctr{border-top:1px solid var(--line);margin-top:26px}"
    "section.ctr h3{font-size:17px;margin:14px 0 2px}"
    ".id{font-family:'DejaVu Sans Mono',Menlo,monospace;font-size:12px;color:#374151;"
    "word-break:break-all}"
    "svg.tl{width:100%;height:auto;border:1px solid var(--line);background:#fff}"
    "svg.tl text{font-family:system-ui,'DejaVu Sans',sans-serif}"
    "ul.rec{margin:4px 0 10px;padding-left:20px}"
    "footer{color:var(--dim);font-size:12px;margin-top:30px;border-top:1px solid var(--line);"
    "padding-top:8px}"
    "@media print{body{font-size:11px}header.top{background:#fff;color:#000;"
    "border-bottom:2px solid #000;padding:0 0 6px}header.top .meta{color:#333}"
    "main{max-width:none;padding:0}nav.toc{display:none}pre.cmd{max-height:none;overflow:visible}"
    "section{break-before:page;page-break-before:always}"
    "section#summary,section#details>section.ctr:first-of-type{break-before:auto;"
    "page-break-before:auto}"
    "tr,pre,.card,svg.tl,h3,h4{break-inside:avoid;page-break-inside:avoid}"
    "h2,h3,h4{break-after:avoid;page-break-after:avoid}"
    "thead{display:table-header-group}"
    "a{color:inherit;text-decoration:none}"
    ".sev,.st,.tag,.prov,tr.sus td{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void load_containers(rep *r)
{
    sqlite3_stmt *st = r_prep(
        r, "SELECT id, name, state, recovered_from, confidence, created, started_at, finished_at "
           "FROM containers ORDER BY state = 'removed', created IS NULL, created, id");
    size_t alloc = 0;
    while (r_step(r, st)) {
        if (r->nc == alloc) {
            size_t na = alloc ? alloc * 2 : 32;
            rep_ctr *n = realloc(r->c, na * sizeof *n);
            if (!n) {
                r->oom = 1;
                break;
            }
            r->c = n;
            alloc = na;
        }
        rep_ctr *c = &r->c[r->nc];
        memset(c, 0, sizeof *c);
        const char *v[8];
        for (int i = 0; i < 8; i++)
            v[i] = (const char *)sqlite3_column_text(st, i);
        c->id = strdup(v[0] ? v[0] : "");
        c->name = v[1] ? strdup(v[1]) : NULL;
        c->state = v[2] ? strdup(v[2]) : NULL;
        c->recovered_from = v[3] ? strdup(v[3]) : NULL;
        c->confidence = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 4);
        c->created = v[5] ? strdup(v[5]) : NULL;
        c->started = v[6] ? strdup(v[6]) : NULL;
        c->finished = v[7] ? strdup(v[7]) : NULL;
        r->nc++;
        if (!c->id)
            r->oom = 1;
    }
    sqlite3_finalize(st);
}

static void free_containers(rep *r)
{
    for (size_t i = 0; i < r->nc; i++) {
        rep_ctr *c = &r->c[i];
        free(c->id), free(c->name), free(c->state), free(c->recovered_from);
        free(c->created), free(c->started), free(c->finished);
    }
    free(r->c);
}

static char *info(rep *r, const char *key)
{
    sqlite3_stmt *st = r_prep(r, "SELECT value FROM case_info WHERE key = ?1");
    char *v = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (r_step(r, st) && sqlite3_column_text(st, 0))
        v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static void card(rep *r, long long n, const char *what)
{
    r_fmt(r, "<div class=\"card\"><b>%lld</b><span>%s</span></div>", n < 0 ? 0 : n, what);
}

static const char *const SEVS[] = {"critical", "high", "medium", "low", "info"};

/* "N more not shown" after a bounded list */
static void more(rep *r, long long total, long long shown, const char *what)
{
    if (total > shown)
        r_fmt(r, "<p class=\"more\">%lld more %s not shown (%lld in all; the case database has "
                 "every one).</p>\n",
              total - shown, what, total);
}

static void summary(rep *r)
{
    r_section_begin(r, "summary", "Summary");
    r_raw(r, "<div class=\"cards\">");
    card(r, (long long)r->nc, "containers");
    card(r, r_count(r, "SELECT count(*) FROM containers WHERE state = 'running'", NULL), "running");
    card(r, r_count(r, "SELECT count(*) FROM containers WHERE state = 'removed'", NULL),
         "removed (recovered)");
    card(r, r_count(r, "SELECT count(*) FROM findings", NULL), "findings");
    card(r, r_count(r, "SELECT count(*) FROM images", NULL), "images");
    card(r, r_count(r, "SELECT count(*) FROM files WHERE scope = 'upper'", NULL),
         "upper-layer files");
    card(r, r_count(r, "SELECT count(*) FROM logs", NULL), "log lines");
    card(r, r_count(r, "SELECT count(*) FROM errors", NULL), "errors recorded");
    r_raw(r, "</div>\n");

    /* findings by severity, as bars */
    long long n[5], max = 1;
    for (int i = 0; i < 5; i++) {
        n[i] = r_count(r, "SELECT count(*) FROM findings WHERE severity = ?1", SEVS[i]);
        if (n[i] > max)
            max = n[i];
    }
    static const char *col[] = {"#9b1c1c", "#d9480f", "#f0b429", "#9db9e8", "#c4c8cf"};
    r_raw(r, "<h3>Findings by severity</h3><table class=\"kv\" style=\"width:auto;min-width:460px\">");
    for (int i = 0; i < 5; i++)
        r_fmt(r,
              "<tr><th><a href=\"#sev-%s\"><span class=\"sev sev-%s\">%s</span></a></th>"
              "<td style=\"width:60px;text-align:right\">%lld</td><td style=\"width:260px\">"
              "<span class=\"bar\" style=\"width:%lldpx;background:%s\"></span></td></tr>",
              SEVS[i], SEVS[i], SEVS[i], n[i] < 0 ? 0 : n[i], n[i] > 0 ? 2 + n[i] * 240 / max : 0,
              col[i]);
    r_raw(r, "</table>\n");

    /* containers by state */
    r_raw(r, "<h3>Containers by state</h3><p>");
    sqlite3_stmt *st = r_prep(r, "SELECT coalesce(state, 'unknown'), count(*) FROM containers "
                                 "GROUP BY 1 ORDER BY 2 DESC, 1");
    int first = 1;
    while (r_step(r, st)) {
        r_raw(r, first ? "" : " &nbsp; ");
        r_state(r, (const char *)sqlite3_column_text(st, 0));
        r_fmt(r, " %lld", (long long)sqlite3_column_int64(st, 1));
        first = 0;
    }
    sqlite3_finalize(st);
    if (first)
        r_raw(r, "<span class=\"na\">no containers in this case</span>");
    r_raw(r, "</p>\n");

    /* what was recovered, what was not */
    r_raw(r, "<h3>Recovered after deletion</h3><ul class=\"rec\">");
    size_t removed = 0;
    for (size_t i = 0; i < r->nc; i++) {
        const rep_ctr *c = &r->c[i];
        if (!(c->state && strcmp(c->state, "removed") == 0) &&
            !(c->recovered_from && strcmp(c->recovered_from, "live") != 0))
            continue;
        removed++;
        if (removed > r->max_rows)
            continue;
        r_fmt(r, "<li><a href=\"#c%zu\">", i);
        r_ctr_label(r, c);
        r_raw(r, "</a>");
        r_prov(r, c->recovered_from, c->confidence, c->confidence >= 0);
        r_raw(r, ": ");
        sqlite3_stmt *q = r_prep(
            r, "SELECT config_json IS NOT NULL, hostconfig_json IS NOT NULL, created IS NOT NULL, "
               "(SELECT count(*) FROM logs WHERE container_id = ?1), "
               "(SELECT count(*) FROM files WHERE container_id = ?1 AND scope = 'upper'), "
               "(SELECT count(*) FROM container_diff WHERE container_id = ?1) "
               "FROM containers WHERE id = ?1");
        if (q) {
            sqlite3_bind_text(q, 1, c->id, -1, SQLITE_TRANSIENT);
            if (r_step(r, q)) {
                int cfg = sqlite3_column_int(q, 0), hc = sqlite3_column_int(q, 1),
                    tm = sqlite3_column_int(q, 2);
                long long lg = sqlite3_column_int64(q, 3), fl = sqlite3_column_int64(q, 4),
                          df = sqlite3_column_int64(q, 5);
                r_fmt(r, "recovered: ID%s%s%s%s", cfg ? ", config" : "", hc ? ", host config" : "",
                      tm ? ", times" : "", c->name && c->name[0] ? ", name" : "");
                if (lg)
                    r_fmt(r, ", %lld log lines", lg);
                if (fl || df)
                    r_fmt(r, ", %lld upper-layer files (%lld diff lines)", fl, df);
                r_fmt(r, "; <span class=\"bad\">not recovered: %s%s%s%s%s%s</span>",
                      cfg ? "" : "config, ", hc ? "" : "host config, ", tm ? "" : "times, ",
                      c->name && c->name[0] ? "" : "name, ", lg ? "" : "logs, ",
                      fl || df ? "" : "upper-layer files, ");
                r_raw(r, "the time of removal (not recorded on disk)</span>");
            }
            sqlite3_finalize(q);
        }
        r_raw(r, "</li>\n");
    }
    if (removed > r->max_rows)
        r_fmt(r, "<li class=\"more\">%zu more</li>", removed - r->max_rows);
    if (!removed)
        r_raw(r, "<li class=\"na\">no removed containers were found</li>");
    st = r_prep(r, "SELECT 'files', recovered_from, count(*) FROM files "
                   "WHERE coalesce(recovered_from, 'live') != 'live' GROUP BY 2 "
                   "UNION ALL SELECT 'log lines', recovered_from, count(*) FROM logs "
                   "WHERE coalesce(recovered_from, 'live') != 'live' GROUP BY 2 "
                   "UNION ALL SELECT 'volumes', recovered_from, count(*) FROM docker_volumes "
                   "WHERE coalesce(recovered_from, 'live') != 'live' GROUP BY 2 "
                   "UNION ALL SELECT 'images', recovered_from, count(*) FROM images "
                   "WHERE coalesce(recovered_from, 'live') != 'live' GROUP BY 2");
    while (r_step(r, st)) {
        r_fmt(r, "<li>%lld %s rows with recovered_from = <code>",
              (long long)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 0));
        r_col(r, st, 1, 100, 0);
        r_raw(r, "</code></li>\n");
    }
    sqlite3_finalize(st);
    r_raw(r, "</ul>\n");

    r_raw(r, "<h3>Not read, damaged or incomplete</h3><ul class=\"rec\">");
    long long ne = r_count(r, "SELECT count(*) FROM errors", NULL);
    st = r_prep(r, "SELECT coalesce(phase, '?'), count(*) FROM errors GROUP BY 1 ORDER BY 2 DESC");
    while (r_step(r, st)) {
        r_fmt(r, "<li>%lld <a href=\"#errors\">errors</a> in phase <code>",
              (long long)sqlite3_column_int64(st, 1));
        r_col(r, st, 0, 100, 0);
        r_raw(r, "</code></li>\n");
    }
    sqlite3_finalize(st);
    st = r_prep(r, "SELECT id, fstype, journal FROM filesystems WHERE journal IS NOT NULL AND "
                   "journal NOT IN ('none', 'clean', 'clean (log covered)')");
    while (r_step(r, st)) {
        r_fmt(r, "<li>file system %lld (", (long long)sqlite3_column_int64(st, 0));
        r_col(r, st, 1, 40, 0);
        r_raw(r, "): journal <code>");
        r_col(r, st, 2, 300, 0);
        r_raw(r, "</code></li>\n");
    }
    sqlite3_finalize(st);
    char *status = info(r, "status");
    if (status && strcmp(status, "complete") != 0) {
        r_raw(r, "<li class=\"bad\">analysis status: ");
        r_esc(r, status);
        r_raw(r, "</li>");
    }
    free(status);
    if (ne == 0)
        r_raw(r, "<li class=\"na\">no errors were recorded</li>");
    r_raw(r, "</ul>\n");
    r_section_end(r);
}

/* one table of a query's rows; columns named by heads ("|" separated); mono columns by index */
static void table(rep *r, const char *sql, const char *heads, const char *mono, long long total,
                  const char *what)
{
    sqlite3_stmt *st = r_prep(r, sql);
    if (!st)
        return;
    int nc = sqlite3_column_count(st);
    r_raw(r, "<table><thead><tr>");
    const char *h = heads;
    for (int i = 0; i < nc; i++) {
        const char *e = strchr(h, '|');
        size_t l = e ? (size_t)(e - h) : strlen(h);
        r_fmt(r, "<th>%.*s</th>", (int)l, h);
        h = e ? e + 1 : h + l;
    }
    r_raw(r, "</tr></thead><tbody>\n");
    long long shown = 0;
    while (r_step(r, st)) {
        if (shown >= r->max_rows)
            break;
        shown++;
        r_raw(r, "<tr>");
        for (int i = 0; i < nc; i++)
            r_td(r, st, i, mono && strchr(mono, '0' + i) ? "mono" : NULL);
        r_raw(r, "</tr>\n");
    }
    sqlite3_finalize(st);
    if (!shown)
        r_fmt(r, "<tr><td colspan=\"%d\" class=\"na\">none</td></tr>", nc);
    r_raw(r, "</tbody></table>\n");
    more(r, total, shown, what);
}

static void evidence(rep *r)
{
    r_section_begin(r, "evidence", "Evidence");
    r_raw(r, "<h3>Case</h3><table class=\"kv\"><tbody>\n");
    sqlite3_stmt *st = r_prep(
        r, "SELECT key, value FROM case_info ORDER BY CASE key WHEN 'evidence_path' THEN 0 "
           "WHEN 'evidence_format' THEN 1 WHEN 'evidence_size' THEN 2 WHEN 'evidence_segments' "
           "THEN 3 WHEN 'evidence_md5' THEN 4 WHEN 'evidence_sha1' THEN 5 WHEN 'evidence_sha256' "
           "THEN 6 WHEN 'ewf_stored_md5' THEN 7 WHEN 'ewf_stored_sha1' THEN 8 WHEN 'ewf_verified' "
           "THEN 9 WHEN 'status' THEN 10 WHEN 'started_at' THEN 11 WHEN 'finished_at' THEN 12 "
           "ELSE 20 END, key");
    unsigned shown = 0;
    while (r_step(r, st) && shown++ < r->max_rows) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        int hash = k && (strstr(k, "md5") || strstr(k, "sha"));
        r_raw(r, "<tr><th>");
        r_col(r, st, 0, 200, 0);
        r_raw(r, "</th><td");
        r_raw(r, hash ? " class=\"mono\">" : ">");
        if (k && strcmp(k, "evidence_size") == 0 && sqlite3_column_text(st, 1))
            r_size(r, atoll((const char *)sqlite3_column_text(st, 1)));
        else
            r_col(r, st, 1, 2000, 0);
        if (k && strcmp(k, "ewf_verified") == 0 && sqlite3_column_text(st, 1) &&
            strcmp((const char *)sqlite3_column_text(st, 1), "no") == 0)
            r_raw(r, " <span class=\"tag bad\">hash mismatch</span>");
        r_raw(r, "</td></tr>\n");
    }
    sqlite3_finalize(st);
    r_raw(r, "</tbody></table>\n");

    r_raw(r, "<h3>Evidence segments</h3>");
    table(r, "SELECT idx, path, size, sha256 FROM evidence_segments ORDER BY idx",
          "#|path|size (bytes)|SHA-256", "13",
          r_count(r, "SELECT count(*) FROM evidence_segments", NULL), "segments");
    r_raw(r, "<h3>Volumes</h3>");
    table(r, "SELECT id, kind, offset, length, description, parent_id FROM volumes ORDER BY id",
          "id|kind|offset (bytes)|length (bytes)|description|parent", NULL,
          r_count(r, "SELECT count(*) FROM volumes", NULL), "volumes");
    r_raw(r, "<h3>File systems</h3>");
    table(r, "SELECT id, volume_id, offset, fstype, label, uuid, block_size, size, mount_point, "
             "journal FROM filesystems ORDER BY id",
          "id|volume|offset|type|label|UUID|block|size (bytes)|node mount point|journal", "5",
          r_count(r, "SELECT count(*) FROM filesystems", NULL), "file systems");
    r_raw(r, "<h3>Data roots</h3>");
    table(r, "SELECT id, filesystem_id, path, node_path, runtime, storage_driver, how_found "
             "FROM data_roots ORDER BY id",
          "id|file system|path|node path|runtime|storage driver|how found", "23",
          r_count(r, "SELECT count(*) FROM data_roots", NULL), "data roots");
    r_section_end(r);
}

static void containers_table(rep *r)
{
    r_section_begin(r, "containers", "Containers");
    r_raw(r, "<p class=\"dim\">Live containers first, then those removed and recovered; the "
             "source column says how a row was recovered and how sure husk is.</p>");
    r_raw(r, "<table><thead><tr><th style=\"min-width:120px\">name</th>"
             "<th style=\"min-width:225px\">ID</th><th>state</th><th>image</th>"
             "<th>created</th><th>started</th><th>finished</th><th>source</th>"
             "<th style=\"width:150px\">findings</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->nc; i++) {
        const rep_ctr *c = &r->c[i];
        if (i >= r->max_rows)
            break;
        r_fmt(r, "<tr><td><a href=\"#c%zu\">", i);
        r_ctr_label(r, c);
        r_raw(r, "</a></td><td class=\"id\">");
        r_esc(r, c->id);
        r_raw(r, "</td><td>");
        r_state(r, c->state);
        r_raw(r, "</td><td>");
        sqlite3_stmt *st = r_prep(r, "SELECT image_ref FROM containers WHERE id = ?1");
        if (st) {
            sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
            if (r_step(r, st)) {
                const char *ref = (const char *)sqlite3_column_text(st, 0);
                if (ref && strncmp(ref, "sha256:", 7) == 0 && strlen(ref) > 19) {
                    r_raw(r, "<span class=\"mono\" title=\"");
                    r_esc(r, ref);
                    r_raw(r, "\">");
                    r_escn(r, ref, 19, 0, 0);
                    r_raw(r, "\xE2\x80\xA6</span>");
                } else {
                    r_col(r, st, 0, 200, 0);
                }
            }
            sqlite3_finalize(st);
        }
        const char *t[3] = {c->created, c->started, c->finished};
        for (int k = 0; k < 3; k++) {
            r_raw(r, "</td><td>");
            r_time_short(r, t[k]);
        }
        r_raw(r, "</td><td class=\"nw\">");
        r_esc(r, c->recovered_from ? c->recovered_from : "?");
        if (c->confidence >= 0)
            r_fmt(r, " (%.2g)", c->confidence);
        r_raw(r, "</td><td>");
        st = r_prep(r, "SELECT severity, count(*) FROM findings WHERE container_id = ?1 "
                       "GROUP BY 1 ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' "
                       "THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END");
        if (st) {
            sqlite3_bind_text(st, 1, c->id, -1, SQLITE_TRANSIENT);
            while (r_step(r, st)) {
                r_raw(r, "<span class=\"nw\">");
                r_sev(r, (const char *)sqlite3_column_text(st, 0));
                r_fmt(r, "&#8202;%lld</span> ", (long long)sqlite3_column_int64(st, 1));
            }
            sqlite3_finalize(st);
        }
        r_raw(r, "</td></tr>\n");
    }
    if (!r->nc)
        r_raw(r, "<tr><td colspan=\"9\" class=\"na\">no containers</td></tr>");
    r_raw(r, "</tbody></table>\n");
    more(r, (long long)r->nc, r->nc < r->max_rows ? (long long)r->nc : r->max_rows, "containers");
    r_section_end(r);
}

static void findings(rep *r)
{
    r_section_begin(r, "findings", "Findings");
    r_raw(r, "<p class=\"dim\">Leads for the examiner, not verdicts: each says what was seen "
             "where, so that it can be checked by hand.</p>\n");
    for (int s = 0; s < 6; s++) {
        const char *sql =
            s < 5 ? "SELECT id, container_id, rule, title, evidence, path, severity FROM findings "
                    "WHERE severity = ?1 ORDER BY container_id IS NULL, container_id, rule, path, id"
                  : "SELECT id, container_id, rule, title, evidence, path, severity FROM findings "
                    "WHERE severity IS NULL OR severity NOT IN "
                    "('critical','high','medium','low','info') ORDER BY id";
        long long total = s < 5 ? r_count(r, "SELECT count(*) FROM findings WHERE severity = ?1",
                                          SEVS[s])
                                : r_count(r, "SELECT count(*) FROM findings WHERE severity IS NULL "
                                             "OR severity NOT IN ('critical','high','medium',"
                                             "'low','info')",
                                          NULL);
        if (s == 5 && total <= 0)
            break;
        r_fmt(r, "<h3 id=\"sev-%s\">", s < 5 ? SEVS[s] : "other");
        r_sev(r, s < 5 ? SEVS[s] : "other");
        r_fmt(r, " %lld finding%s</h3>\n", total < 0 ? 0 : total, total == 1 ? "" : "s");
        if (total <= 0)
            continue;
        sqlite3_stmt *st = r_prep(r, sql);
        if (!st)
            continue;
        if (s < 5)
            sqlite3_bind_text(st, 1, SEVS[s], -1, SQLITE_STATIC);
        r_raw(r, "<table><thead><tr><th>#</th><th>container</th><th>rule</th><th>title</th>"
                 "<th>evidence</th><th>path</th></tr></thead><tbody>\n");
        long long shown = 0;
        while (r_step(r, st) && shown < r->max_rows) {
            shown++;
            r_fmt(r, "<tr id=\"finding-%lld\"><td>%lld</td><td>",
                  (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 0));
            r_ctr_link(r, (const char *)sqlite3_column_text(st, 1));
            r_raw(r, "</td>");
            r_td(r, st, 2, "mono");
            r_td(r, st, 3, NULL);
            r_td(r, st, 4, NULL);
            r_td(r, st, 5, "mono");
            r_raw(r, "</tr>\n");
        }
        sqlite3_finalize(st);
        r_raw(r, "</tbody></table>\n");
        more(r, total, shown, "findings");
    }
    r_section_end(r);
}

static void images(rep *r)
{
    r_section_begin(r, "images", "Images");
    table(r, "SELECT id, repo_tags, created, size, recovered_from, "
             "CASE digest_ok WHEN 0 THEN 'NO: config changed' WHEN 1 THEN 'ok' END "
             "FROM images ORDER BY created, id",
          "ID|tags|created|size (bytes)|source|digest", "0",
          r_count(r, "SELECT count(*) FROM images", NULL), "images");
    r_section_end(r);
}

static void errors(rep *r)
{
    r_section_begin(r, "errors", "Errors");
    r_raw(r, "<p class=\"dim\">Everything husk could not read or rebuild, as recorded in the "
             "errors table.</p>");
    table(r, "SELECT id, phase, object, offset, message, time FROM errors ORDER BY id",
          "#|phase|object|offset|message|time", "25",
          r_count(r, "SELECT count(*) FROM errors", NULL), "errors");
    r_section_end(r);
}

int husk_report_write(husk_casedb *db, FILE *out, const husk_report_opts *opts, husk_err *err)
{
    rep r;
    memset(&r, 0, sizeof r);
    r.f = out;
    r.db = husk_casedb_sqlite(db);
    r.log_lines = opts && opts->log_lines ? opts->log_lines : 10;
    r.max_rows = opts && opts->max_rows ? opts->max_rows : 300;
    load_containers(&r);

    char *ev = info(&r, "evidence_path"), *ver = info(&r, "tool_version"),
         *fin = info(&r, "finished_at");
    char now[40];
    husk_now_rfc3339(now, sizeof now);
    const char *base = ev ? strrchr(ev, '/') : NULL;
    base = base ? base + 1 : ev;

    r_raw(&r, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "style-src 'unsafe-inline'\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta name=\"generator\" content=\"husk " HUSK_VERSION "\">\n<title>husk report: ");
    r_esc(&r, base ? base : "case");
    r_fmt(&r, "</title>\n<style>%s</style>\n</head><body>\n", CSS);
    r_raw(&r, "<header class=\"top\"><h1>Container host examination: ");
    r_esc(&r, base ? base : "(evidence path unknown)");
    r_raw(&r, "</h1><div class=\"meta\">Case database ");
    r_esc(&r, opts && opts->case_path ? opts->case_path : "");
    r_raw(&r, " &middot; analysed by ");
    r_esc(&r, ver ? ver : "husk");
    r_raw(&r, fin ? ", finished " : ", <b>analysis did not finish</b>");
    r_esc(&r, fin);
    r_fmt(&r, " &middot; report written %s by husk %s</div></header>\n<main>\n", now,
          HUSK_VERSION);
    r_raw(&r, "<nav class=\"toc\"><a href=\"#summary\">Summary</a><a href=\"#evidence\">Evidence"
              "</a><a href=\"#timeline\">Timeline</a><a href=\"#containers\">Containers</a>"
              "<a href=\"#findings\">Findings</a><a href=\"#details\">Container details</a>"
              "<a href=\"#images\">Images</a><a href=\"#errors\">Errors</a></nav>\n");
    free(ev), free(ver), free(fin);

    summary(&r);
    evidence(&r);
    report_timeline(&r);
    containers_table(&r);
    findings(&r);
    r_section_begin(&r, "details", "Container details");
    r_fmt(&r, "<p class=\"dim\">%zu container%s, in the order of the table above.</p>\n", r.nc,
          r.nc == 1 ? "" : "s");
    for (size_t i = 0; i < r.nc && i < r.max_rows; i++)
        report_container(&r, i);
    more(&r, (long long)r.nc, r.nc < r.max_rows ? (long long)r.nc : r.max_rows, "containers");
    r_section_end(&r);
    images(&r);
    errors(&r);
    r_raw(&r, "<footer>Written by husk " HUSK_VERSION " from the case database alone; every "
              "string from the evidence is shown escaped, long lists and logs are cut (the "
              "case database has every row).</footer>\n</main></body></html>\n");
    free_containers(&r);
    husk_sb_release(&r.sb);
    if (r.oom)
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory while writing the report");
    if (r.dberr)
        return husk_err_set(err, HUSK_E_DB, "cannot read the case database: %s", r.dbmsg);
    if (fflush(out) != 0 || ferror(out))
        return husk_err_set(err, HUSK_E_IO, "cannot write the report");
    return 0;
}
