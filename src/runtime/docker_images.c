/*
 * Docker images and layers from the graph-driver image store (formats.md 2):
 * image/<driver>/repositories.json (tags, digests), imagedb/content (configs, whose SHA-256 is
 * the image ID), imagedb/metadata (parent, lastUpdated), layerdb/sha256/<chain> (diff ID,
 * size, cache ID, parent).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/docker.h"

#define MAX_SMALL_FILE (64u << 10)  /* layerdb/metadata one-liners */
#define MAX_IMAGE_CONFIG (16u << 20) /* image configs are a few KiB; history can be long */
#define MAX_REPOS_JSON (64u << 20)

typedef struct layer_info {
    char chain[72], diff[72], parent[72], cache[80];
    int64_t size;
} layer_info;

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t i = 0;
    while (s[i] && isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, n - i + 1);
}

/* Reads a one-line store file into out (trimmed); "" when absent or unreadable. */
static void read_line(const husk_docker_root *r, const char *rel, char *out, size_t n)
{
    char *data = NULL;
    size_t len = 0;
    out[0] = '\0';
    if (husk_docker_read(r, rel, MAX_SMALL_FILE, &data, &len, NULL) < 0)
        return;
    snprintf(out, n, "%s", data);
    free(data);
    trim(out);
}

static int cmp_layer(const void *a, const void *b)
{
    return strcmp(((const layer_info *)a)->chain, ((const layer_info *)b)->chain);
}

static const layer_info *find_layer(const layer_info *v, size_t n, const char *chain)
{
    layer_info key;
    snprintf(key.chain, sizeof key.chain, "%s", chain);
    return bsearch(&key, v, n, sizeof *v, cmp_layer);
}

static int load_layers(const husk_docker_root *r, const char *imgroot, husk_casedb *db,
                       husk_diag *diag, layer_info **out, size_t *nout, husk_err *err)
{
    char rel[512];
    husk_id_list names;
    *out = NULL;
    *nout = 0;
    snprintf(rel, sizeof rel, "%s/layerdb/sha256", imgroot);
    husk_err e = {0};
    if (husk_docker_list_ids(r, rel, &names, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(diag, "images", rel, -1, "cannot list layers: %s", e.msg);
        husk_id_list_free(&names);
        return 0;
    }
    layer_info *v = calloc(names.n + 1, sizeof *v);
    if (!v) {
        husk_id_list_free(&names);
        return husk_err_set(err, HUSK_E_NOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        layer_info *l = &v[i];
        char val[128];
        snprintf(l->chain, sizeof l->chain, "sha256:%s", names.v[i]);
        snprintf(rel, sizeof rel, "%s/layerdb/sha256/%s/diff", imgroot, names.v[i]);
        read_line(r, rel, l->diff, sizeof l->diff);
        snprintf(rel, sizeof rel, "%s/layerdb/sha256/%s/parent", imgroot, names.v[i]);
        read_line(r, rel, l->parent, sizeof l->parent);
        snprintf(rel, sizeof rel, "%s/layerdb/sha256/%s/cache-id", imgroot, names.v[i]);
        read_line(r, rel, l->cache, sizeof l->cache);
        snprintf(rel, sizeof rel, "%s/layerdb/sha256/%s/size", imgroot, names.v[i]);
        read_line(r, rel, val, sizeof val);
        char *end;
        long long sz = strtoll(val, &end, 10);
        l->size = val[0] && !*end && sz >= 0 ? sz : -1;
        if (!l->diff[0] || !l->cache[0])
            husk_diag_report(diag, "images", l->chain, -1,
                             "layer metadata incomplete (diff '%s', cache-id '%s')", l->diff,
                             l->cache);
        husk_row_layer row = {l->chain,       l->diff[0] ? l->diff : NULL,
                              l->parent[0] ? l->parent : NULL, l->cache[0] ? l->cache : NULL,
                              l->size,        "unchecked",
                              r->db_id};
        rc = husk_casedb_add_layer(db, &row, err);
    }
    qsort(v, names.n, sizeof *v, cmp_layer);
    *out = v;
    *nout = names.n;
    husk_id_list_free(&names);
    return rc;
}

/* repositories.json: {"Repositories":{"name":{"name:tag":"sha256:id","name@sha256:d":"..."}}}
 * Returns an object id -> {"tags":[...], "digests":[...]}. */
static json_t *load_refs(const husk_docker_root *r, const char *imgroot, husk_diag *diag)
{
    char rel[512];
    char *data = NULL;
    size_t len = 0;
    json_t *byid = json_object();
    snprintf(rel, sizeof rel, "%s/repositories.json", imgroot);
    husk_err e = {0};
    if (husk_docker_read(r, rel, MAX_REPOS_JSON, &data, &len, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(diag, "images", rel, -1, "unreadable: %s", e.msg);
        return byid;
    }
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    free(data);
    if (!j) {
        husk_diag_report(diag, "images", rel, -1, "not valid JSON (line %d): %s", je.line,
                         je.text);
        return byid;
    }
    json_t *repos = json_object_get(j, "Repositories");
    const char *repo, *ref;
    json_t *refs, *id;
    json_object_foreach(repos, repo, refs)
    {
        json_object_foreach(refs, ref, id)
        {
            if (!json_is_string(id))
                continue;
            json_t *entry = json_object_get(byid, json_string_value(id));
            if (!entry) {
                entry = json_pack("{s:[],s:[]}", "tags", "digests");
                json_object_set_new(byid, json_string_value(id), entry);
            }
            json_array_append_new(json_object_get(entry, strchr(ref, '@') ? "digests" : "tags"),
                                  json_string(ref));
        }
    }
    json_decref(j);
    return byid;
}

/* ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(n)). */
static void next_chain(const char *prev, const char *diff, char out[72])
{
    if (!prev[0]) {
        snprintf(out, 72, "%s", diff);
        return;
    }
    char buf[160], hex[65];
    int n = snprintf(buf, sizeof buf, "%s %s", prev, diff);
    husk_sha256_hex(buf, (size_t)n, hex);
    snprintf(out, 72, "sha256:%s", hex);
}

static char *dump_compact(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
}

static int load_image(const husk_docker_root *r, const char *imgroot, const char *hex,
                      json_t *refs, const layer_info *layers, size_t nlayers, husk_casedb *db,
                      husk_diag *diag, husk_err *err)
{
    char rel[512], id[80], created[40], lastup[40], parent[128], lastraw[128];
    char *data = NULL;
    size_t len = 0;
    husk_err e = {0};
    snprintf(id, sizeof id, "sha256:%s", hex);
    snprintf(rel, sizeof rel, "%s/imagedb/content/sha256/%s", imgroot, hex);
    if (husk_docker_read(r, rel, MAX_IMAGE_CONFIG, &data, &len, &e) < 0) {
        husk_diag_report(diag, "images", rel, -1, "image config unreadable: %s", e.msg);
        return 0;
    }
    char digest[65];
    husk_sha256_hex(data, len, digest);
    int digest_ok = strcmp(digest, hex) == 0;
    if (!digest_ok)
        husk_diag_report(diag, "images", id, -1,
                         "image config's SHA-256 is %s, not its ID: the config was changed", digest);
    json_error_t je;
    json_t *cfg = json_loadb(data, len, 0, &je);
    if (!cfg)
        husk_diag_report(diag, "images", rel, -1, "image config is not valid JSON (line %d): %s",
                         je.line, je.text);
    snprintf(rel, sizeof rel, "%s/imagedb/metadata/sha256/%s/parent", imgroot, hex);
    read_line(r, rel, parent, sizeof parent);
    snprintf(rel, sizeof rel, "%s/imagedb/metadata/sha256/%s/lastUpdated", imgroot, hex);
    read_line(r, rel, lastraw, sizeof lastraw);

    /* layers of the image, bottom first, and its size as Docker counts it */
    json_t *diffs = husk_json_get(cfg, "rootfs.diff_ids");
    size_t ndiff = json_is_array(diffs) ? json_array_size(diffs) : 0;
    char (*chains)[72] = calloc(ndiff + 1, sizeof *chains);
    int64_t size = 0;
    int size_known = 1;
    char prev[72] = "";
    for (size_t i = 0; chains && i < ndiff; i++) {
        const char *d = json_string_value(json_array_get(diffs, i));
        if (!d || strlen(d) != 71) {
            size_known = 0;
            break;
        }
        next_chain(prev, d, chains[i]);
        snprintf(prev, sizeof prev, "%s", chains[i]);
        const layer_info *l = find_layer(layers, nlayers, chains[i]);
        if (l && l->size >= 0)
            size += l->size;
        else
            size_known = 0;
    }
    json_t *ref = json_object_get(refs, id);
    char *tags = ref ? dump_compact(json_object_get(ref, "tags")) : strdup("[]");
    char *digests = ref ? dump_compact(json_object_get(ref, "digests")) : strdup("[]");
    husk_row_image row = {
        .id = id,
        .repo_tags = tags,
        .created = husk_rfc3339_norm(husk_json_str(cfg, "created"), created, sizeof created),
        .os = husk_json_str(cfg, "os"),
        .architecture = husk_json_str(cfg, "architecture"),
        .config_json = data,
        .recovered_from = "live",
        .repo_digests = digests,
        .parent = parent[0] ? parent : NULL,
        .last_updated = husk_rfc3339_norm(lastraw, lastup, sizeof lastup),
        .size = size_known ? size : HUSK_NULL_INT,
        .digest_ok = digest_ok,
        .data_root_id = r->db_id,
    };
    int rc = husk_casedb_add_image(db, &row, err);

    /* history: each non-empty entry consumes the next layer */
    json_t *hist = json_object_get(cfg, "history");
    size_t li = 0, idx;
    json_t *h;
    json_array_foreach(hist, idx, h)
    {
        if (rc < 0)
            break;
        int empty = json_is_true(json_object_get(h, "empty_layer"));
        int64_t lsize = 0;
        const char *chain = NULL;
        if (!empty && chains && li < ndiff) {
            chain = chains[li];
            const layer_info *l = find_layer(layers, nlayers, chain);
            lsize = l && l->size >= 0 ? l->size : HUSK_NULL_INT;
            li++;
        }
        char hc[40];
        husk_row_history hr = {id,
                               (int64_t)idx,
                               husk_rfc3339_norm(husk_json_str(h, "created"), hc, sizeof hc),
                               husk_json_str(h, "created_by"),
                               empty,
                               husk_json_str(h, "comment"),
                               lsize,
                               chain};
        rc = husk_casedb_add_history(db, &hr, err);
    }
    free(chains);
    free(tags);
    free(digests);
    json_decref(cfg);
    free(data);
    return rc;
}

int husk_docker_images(const husk_docker_root *r, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    char imgroot[64], rel[512];
    snprintf(imgroot, sizeof imgroot, "image/%s", r->driver[0] ? r->driver : "overlay2");
    layer_info *layers = NULL;
    size_t nlayers = 0;
    int rc = load_layers(r, imgroot, db, diag, &layers, &nlayers, err);
    if (rc < 0)
        return rc;
    json_t *refs = load_refs(r, imgroot, diag);
    husk_id_list names;
    husk_err e = {0};
    snprintf(rel, sizeof rel, "%s/imagedb/content/sha256", imgroot);
    if (husk_docker_list_ids(r, rel, &names, &e) < 0 && e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, "images", rel, -1, "cannot list image configs: %s", e.msg);
    for (size_t i = 0; i < names.n && rc == 0; i++)
        rc = load_image(r, imgroot, names.v[i], refs, layers, nlayers, db, diag, err);
    husk_id_list_free(&names);
    json_decref(refs);
    free(layers);
    return rc;
}
