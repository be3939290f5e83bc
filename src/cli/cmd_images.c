/* husk images (docker images) and husk history (docker history) over a case database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "casecmd.h"
#include "cli.h"
#include "husk/escape.h"

/* go-units HumanSizeWithPrecision: decimal units, %.*g. */
static void human_size(double size, int precision, char *out, size_t n)
{
    static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    int i = 0;
    while (size >= 1000.0 && i < 8) {
        size /= 1000.0;
        i++;
    }
    snprintf(out, n, "%.*g%s", precision, size, units[i]);
}

static void images_usage(FILE *f)
{
    fprintf(f, "usage: husk images [-a] [--json] [--no-trunc] CASE.db\n"
               "\n"
               "Lists the node's images like 'docker images': one row per tag, untagged\n"
               "images that are no other image's parent as <none>; -a adds the intermediate\n"
               "images of local builds. CREATED is absolute (UTC).\n"
               "\n"
               "  -a, --all    include intermediate images\n"
               "  --json       one JSON object per line (docker images --format '{{json .}}'\n"
               "               fields: Repository, Tag, ID, Digest, CreatedAt, Size, VirtualSize)\n"
               "  --no-trunc   full image IDs\n");
}

/* Splits "repo:tag" at the last colon that is not part of a registry host:port. */
static void split_tag(const char *ref, char *repo, size_t rn, char *tag, size_t tn)
{
    const char *slash = strrchr(ref, '/');
    const char *colon = strrchr(ref, ':');
    if (colon && (!slash || colon > slash)) {
        snprintf(repo, rn, "%.*s", (int)(colon - ref), ref);
        snprintf(tag, tn, "%s", colon + 1);
    } else {
        snprintf(repo, rn, "%s", ref);
        snprintf(tag, tn, "%s", "<none>");
    }
}

static void image_row(int json, int notrunc, const char *repo, const char *tag, const char *id,
                      const char *digest, const char *created, sqlite3_int64 size, int has_size)
{
    char cat[64], sz[32] = "", vsz[32] = "";
    casecmd_go_time(created, cat, sizeof cat);
    if (has_size) {
        human_size((double)size, 3, sz, sizeof sz);
        human_size((double)size, 4, vsz, sizeof vsz);
    }
    if (json) {
        casecmd_print_json_line(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", repo,
                                          "Tag", tag, "ID", id, "Digest", digest, "CreatedAt", cat,
                                          "Size", sz, "VirtualSize", vsz));
        return;
    }
    const char *shown = notrunc ? id : (strncmp(id, "sha256:", 7) == 0 ? id + 7 : id);
    printf("%-30s %-12s %-*.*s %-30s %s\n", husk_esc(repo), husk_esc(tag), notrunc ? 71 : 12,
           notrunc ? 71 : 12, shown, cat, sz);
}

int cmd_images(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"no-trunc", no_argument, NULL, 'n'},
                                       {"all", no_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int json = 0, notrunc = 0, all = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ah", lo, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'n')
            notrunc = 1;
        else if (c == 'a')
            all = 1;
        else if (c == 'h') {
            images_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            images_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error("give one case database");
        images_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT i.id, i.repo_tags, i.repo_digests, i.created, i.size, "
                           "(SELECT count(*) FROM images k WHERE k.parent = i.id) "
                           "FROM images i ORDER BY i.created DESC, i.id",
                           -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot read images: %s", sqlite3_errmsg(husk_casedb_sqlite(db)));
        husk_casedb_close(db);
        return HUSK_EXIT_CASEDB;
    }
    if (!json)
        printf("%-30s %-12s %-*s %-30s %s\n", "REPOSITORY", "TAG", notrunc ? 71 : 12, "IMAGE ID",
               "CREATED", "SIZE");
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *tags = json_loads(casecmd_col(st, 1), 0, NULL);
        json_t *digests = json_loads(casecmd_col(st, 2), 0, NULL);
        const char *digest = "<none>";
        if (json_array_size(digests) > 0) {
            const char *d = json_string_value(json_array_get(digests, 0));
            const char *at = d ? strchr(d, '@') : NULL;
            digest = at ? at + 1 : digest;
        }
        int has_size = sqlite3_column_type(st, 4) != SQLITE_NULL;
        if (json_array_size(tags) == 0) {
            int children = sqlite3_column_int(st, 5);
            if (all || children == 0)
                image_row(json, notrunc, "<none>", "<none>", casecmd_col(st, 0), digest,
                          casecmd_col(st, 3), sqlite3_column_int64(st, 4), has_size);
        }
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t)
        {
            char repo[512], tag[256];
            split_tag(json_string_value(t) ? json_string_value(t) : "", repo, sizeof repo, tag,
                      sizeof tag);
            image_row(json, notrunc, repo, tag, casecmd_col(st, 0), digest, casecmd_col(st, 3),
                      sqlite3_column_int64(st, 4), has_size);
        }
        json_decref(tags);
        json_decref(digests);
    }
    sqlite3_finalize(st);
    husk_casedb_close(db);
    return HUSK_EXIT_OK;
}

/* Resolves an image reference: full or prefixed ID (with or without sha256:), or a tag
 * ("repo:tag", "repo" meaning "repo:latest"). */
static int resolve_image(sqlite3 *s, const char *ref, char *id, size_t n)
{
    sqlite3_stmt *st;
    char tagged[600];
    snprintf(tagged, sizeof tagged, "%s%s", ref,
             strchr(strrchr(ref, '/') ? strrchr(ref, '/') : ref, ':') ? "" : ":latest");
    int found = 0;
    if (sqlite3_prepare_v2(s,
                           "SELECT DISTINCT i.id FROM images i, json_each(i.repo_tags) t "
                           "WHERE t.value = ?1 UNION SELECT id FROM images WHERE id = ?2 OR "
                           "substr(id, 8, length(?3)) = ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
    sqlite3_bind_text(st, 1, tagged, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, strlen(hex) >= 4 ? hex : "-", -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (found++ == 0)
            snprintf(id, n, "%s", casecmd_col(st, 0));
    sqlite3_finalize(st);
    return found;
}

static void history_usage(FILE *f)
{
    fprintf(f, "usage: husk history [--json] [--no-trunc] CASE.db IMAGE\n"
               "\n"
               "Shows an image's history like 'docker history': newest step first, the image\n"
               "ID of each step where the node still has it (local builds), <missing>\n"
               "otherwise. IMAGE is a tag (repo:tag), an ID or a unique ID prefix.\n"
               "\n"
               "  --json       one JSON object per line (ID, CreatedAt, CreatedBy, Size, Comment)\n"
               "  --no-trunc   full IDs and commands\n");
}

int cmd_history(int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"no-trunc", no_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int json = 0, notrunc = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 'j')
            json = 1;
        else if (c == 'n')
            notrunc = 1;
        else if (c == 'h') {
            history_usage(stdout);
            return HUSK_EXIT_OK;
        } else {
            history_usage(stderr);
            return HUSK_EXIT_USAGE;
        }
    }
    if (optind != argc - 2) {
        cli_error("give a case database and an image");
        history_usage(stderr);
        return HUSK_EXIT_USAGE;
    }
    husk_casedb *db;
    int rc = casecmd_open(argv[optind], &db);
    if (rc)
        return rc;
    sqlite3 *s = husk_casedb_sqlite(db);
    char id[128];
    int found = resolve_image(s, argv[optind + 1], id, sizeof id);
    if (found != 1) {
        cli_error(found > 1 ? "'%s' matches more than one image" : "no such image: %s",
                  argv[optind + 1]);
        husk_casedb_close(db);
        return found > 1 ? HUSK_EXIT_USAGE : HUSK_EXIT_FAIL;
    }
    sqlite3_stmt *st, *pst;
    sqlite3_prepare_v2(s,
                       "SELECT created, created_by, size, comment FROM image_history "
                       "WHERE image_id = ? ORDER BY idx DESC",
                       -1, &st, NULL);
    sqlite3_prepare_v2(s, "SELECT parent FROM images WHERE id = ?", -1, &pst, NULL);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (!json)
        printf("%-*s %-22s %-*s %-10s %s\n", notrunc ? 71 : 12, "IMAGE", "CREATED",
               notrunc ? 60 : 45, "CREATED BY", "SIZE", "COMMENT");
    /* daemon/images/image_history.go: the newest step carries the image's ID, each older step
     * its parent's, until an image has no parent; the rest are <missing>. */
    char cur[128];
    snprintf(cur, sizeof cur, "%s", id);
    int depth = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char created[40] = "", size[32];
        const char *c0 = casecmd_col(st, 0);
        if (strlen(c0) >= 19)
            snprintf(created, sizeof created, "%.19sZ", c0);
        human_size((double)sqlite3_column_int64(st, 2), 3, size, sizeof size);
        const char *shown = cur[0] ? cur : "<missing>";
        if (json) {
            casecmd_print_json_line(json_pack("{s:s,s:s,s:s,s:s,s:s}", "Comment",
                                              casecmd_col(st, 3), "CreatedAt", created, "CreatedBy",
                                              casecmd_col(st, 1), "ID", shown, "Size", size));
        } else {
            printf("%-*.*s %-22s %-*.*s %-10s %s\n", notrunc ? 71 : 12, notrunc ? 71 : 12,
                   cur[0] ? (notrunc ? cur : cur + 7) : "<missing>", created, notrunc ? 60 : 45,
                   notrunc ? 100000 : 45, husk_esc(casecmd_col(st, 1)), size,
                   husk_esc(casecmd_col(st, 3)));
        }
        if (cur[0] && ++depth < 10000) {
            sqlite3_reset(pst);
            sqlite3_bind_text(pst, 1, cur, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(pst) == SQLITE_ROW && sqlite3_column_type(pst, 0) != SQLITE_NULL)
                snprintf(cur, sizeof cur, "%s", casecmd_col(pst, 0));
            else
                cur[0] = '\0';
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(pst);
    husk_casedb_close(db);
    return HUSK_EXIT_OK;
}
