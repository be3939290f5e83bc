/*
 * bbolt database files (src/runtime/bolt.c): volumes/metadata.db, local-kv.db, containerd's
 * meta.db. Input: the whole file. Opens it, walks every bucket it can reach (bounded, as a
 * caller must), looks each key up again, opens the paths the readers use, and runs the
 * free-page scan.
 */
#include <string.h>

#include "fuzz.h"
#include "husk/bolt.h"

typedef struct walk {
    const husk_bolt *db;
    size_t budget; /* elements visited over the whole input, as callers bound themselves */
    size_t sum;
} walk;

static void walk_bucket(walk *w, const husk_bolt_bucket *b, int depth)
{
    husk_err err = {0};
    husk_bolt_cursor *c = NULL;
    if (depth > HUSK_BOLT_MAX_DEPTH + 1 || husk_bolt_cursor_new(w->db, b, &c, &err) < 0)
        return;
    husk_bolt_entry e;
    int rc;
    while (w->budget > 0 && (rc = husk_bolt_cursor_next(c, &e, &err)) != 0) {
        w->budget--;
        if (rc < 0)
            continue; /* damaged page skipped; the cursor goes on */
        w->sum += e.klen + e.vlen + (e.klen ? e.key[e.klen - 1] : 0) +
                  (e.vlen ? e.val[e.vlen - 1] : 0);
        husk_bolt_entry again;
        if (husk_bolt_get(w->db, b, e.key, e.klen, &again, &err) == 0)
            w->sum += again.vlen;
        if (e.is_bucket && e.bucket_ok) {
            husk_bolt_bucket child;
            if (husk_bolt_bucket_child(w->db, b, e.key, e.klen, &child, &err) == 0)
                w->sum += child.depth;
            walk_bucket(w, &e.bucket, depth + 1);
        }
    }
    husk_bolt_cursor_free(c);
}

static int on_free(const husk_bolt_entry *e, void *ctx)
{
    walk *w = ctx;
    w->sum += e->klen + e->vlen + strlen(husk_bolt_origin_name(e->origin)) +
              (e->parent_len ? e->parent[e->parent_len - 1] : 0);
    if (e->is_bucket && e->bucket_ok)
        walk_bucket(w, &e->bucket, 1);
    return w->budget == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    husk_bolt *db = NULL;
    husk_err err = {0};
    if (husk_bolt_open(data, size, &db, &err) < 0)
        return 0;
    walk w = {db, 20000, 0};
    husk_bolt_info info;
    husk_bolt_get_info(db, &info);
    w.sum += info.page_size + info.root;
    husk_bolt_bucket root;
    husk_bolt_root(db, &root);
    walk_bucket(&w, &root, 0);
    static const char *const vol[] = {"volumes"};
    static const char *const moby[] = {"v1", "moby", "containers"};
    husk_bolt_bucket b;
    if (husk_bolt_bucket_path(db, vol, 1, &b, &err) == 0)
        walk_bucket(&w, &b, 1);
    if (husk_bolt_bucket_path(db, moby, 3, &b, &err) == 0)
        walk_bucket(&w, &b, 3);
    w.budget = 20000;
    unsigned damaged = 0;
    husk_bolt_scan_free(db, on_free, &w, &damaged, &err);
    husk_bolt_close(db);
    return w.sum == 1;
}
