/* Marking what only the replayed journal shows (src/case/replay_views.h). */
#include "replay_views.h"

#include <stdio.h>
#include <string.h>

#include "husk/replay.h"

typedef struct views {
    husk_casedb *db;
    husk_fs *replayed, *home;
    husk_diag *diag;
    const char *object;  /* for reports: the file system */
    uint64_t last_inode; /* files rows come ordered by inode: one comparison per inode */
    int last_differs;
    unsigned marked;
} views;

static int file_cb(void *ctx, int64_t file_id, int64_t inode, husk_err *err)
{
    views *v = ctx;
    if ((uint64_t)inode != v->last_inode) {
        husk_err e = {0};
        v->last_inode = (uint64_t)inode;
        v->last_differs = 0;
        if (husk_fs_differs(v->replayed, v->home, (uint64_t)inode, &v->last_differs, &e) < 0)
            husk_diag_report(v->diag, "journal", v->object, -1,
                             "cannot compare inode %lld between the replayed and the home "
                             "view: %s",
                             (long long)inode, e.msg);
    }
    if (!v->last_differs)
        return 0;
    v->marked++;
    return husk_casedb_mark_replayed(v->db, file_id, err);
}

/* 1 when path differs between the views; problems are reported and count as "same". */
static int path_differs(views *v, const char *path)
{
    int d = 0;
    husk_err e = {0};
    if (husk_fs_path_differs(v->replayed, v->home, path, &d, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(v->diag, "journal", path, -1,
                             "cannot compare the replayed and the home view: %s", e.msg);
        return 0;
    }
    return d;
}

static int container_cb(void *ctx, const char *id, const char *config, husk_err *err)
{
    views *v = ctx;
    char host[4200];
    size_t n = strlen(config);
    const char *tail = "config.v2.json";
    /* the hostconfig.json next to config.v2.json: a docker update rewrites only that one */
    if (n < strlen(tail) || snprintf(host, sizeof host, "%.*shostconfig.json",
                                     (int)(n - strlen(tail)), config) >= (int)sizeof host)
        host[0] = '\0';
    if (!path_differs(v, config) && !(host[0] && path_differs(v, host)))
        return 0;
    v->marked++;
    return husk_casedb_mark_container_replayed(v->db, id, err);
}

static int log_cb(void *ctx, const char *container_id, const char *file, husk_err *err)
{
    views *v = ctx;
    if (file[0] != '/' || !path_differs(v, file))
        return 0;
    v->marked++;
    return husk_casedb_mark_log_file_replayed(v->db, container_id, file, err);
}

int husk_mark_journal_replay(husk_casedb *db, husk_node *n, const int64_t *fs_ids, husk_diag *diag,
                             husk_err *err)
{
    int r = 0;
    for (size_t i = 0; r == 0 && i < n->nfs; i++) {
        husk_node_fs *nf = &n->fss[i];
        if (!nf->replay || !nf->home || !fs_ids[i])
            continue;
        char object[64];
        snprintf(object, sizeof object, "file system %lld", (long long)fs_ids[i]);
        views v = {.db = db,
                   .replayed = nf->fs,
                   .home = nf->home,
                   .diag = diag,
                   .object = object,
                   .last_inode = 0};
        r = husk_casedb_each_fs_file(db, fs_ids[i], file_cb, &v, err);
        if (r == 0)
            r = husk_casedb_each_fs_container(db, fs_ids[i], container_cb, &v, err);
        if (r == 0)
            r = husk_casedb_each_fs_log_file(db, fs_ids[i], log_cb, &v, err);
    }
    return r;
}
