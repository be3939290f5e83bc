/*
 * Docker containers from <root>/containers/<id>/ (config.v2.json, hostconfig.json) and
 * image/<driver>/layerdb/mounts/<id>/ (the RW layer), into the containers and mounts tables;
 * then the per-container phases (logs, diff). One damaged or missing file never hides the
 * other containers: it is recorded and the rest goes on.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "husk/docker.h"
#include "husk/phase.h"

#define MAX_CONFIG_JSON (16u << 20) /* a real config.v2.json is a few KiB; bounds memory */
#define MAX_LINE_FILE (4u << 10)

void husk_container_free(husk_container *c)
{
    json_decref(c->config);
    json_decref(c->hostconfig);
    free(c->config_raw);
    free(c->hostconfig_raw);
    memset(c, 0, sizeof *c);
}

/* Docker's State.StateString() (daemon/container/state.go). */
static const char *state_string(json_t *state)
{
    if (!json_is_object(state))
        return NULL;
    if (json_is_true(json_object_get(state, "Running"))) {
        if (json_is_true(json_object_get(state, "Paused")))
            return "paused";
        if (json_is_true(json_object_get(state, "Restarting")))
            return "restarting";
        return "running";
    }
    if (json_is_true(json_object_get(state, "Dead")))
        return "dead";
    char t[40];
    if (!husk_rfc3339_norm(husk_json_str(state, "StartedAt"), t, sizeof t))
        return "created";
    return "exited";
}

static json_t *parse_json(const char *bytes, size_t len, const char *what, husk_err *err)
{
    if (!bytes)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(bytes, len, 0, &je);
    if (!j)
        husk_err_set(err, HUSK_E_FORMAT, "%s is not valid JSON (line %d, column %d): %s", what,
                     je.line, je.column, je.text);
    else if (!json_is_object(j)) {
        husk_err_set(err, HUSK_E_FORMAT, "%s is not a JSON object", what);
        json_decref(j);
        j = NULL;
    }
    return j;
}

int husk_container_parse(const char *id_hint, const char *cfg, size_t cfglen, const char *hc,
                         size_t hclen, const husk_prov *prov, husk_container *c, husk_err *err)
{
    memset(c, 0, sizeof *c);
    c->prov = *prov;
    husk_err e1 = {0}, e2 = {0};
    c->config = parse_json(cfg, cfglen, "config.v2.json", &e1);
    c->hostconfig = parse_json(hc, hclen, "hostconfig.json", &e2);
    if (cfg && (c->config_raw = malloc(cfglen + 1))) {
        memcpy(c->config_raw, cfg, cfglen);
        c->config_raw[cfglen] = '\0';
    }
    if (hc && (c->hostconfig_raw = malloc(hclen + 1))) {
        memcpy(c->hostconfig_raw, hc, hclen);
        c->hostconfig_raw[hclen] = '\0';
    }
    const char *id = husk_json_str(c->config, "ID");
    if (id && husk_is_hex64(id, strlen(id)))
        snprintf(c->id, sizeof c->id, "%s", id);
    else if (id_hint && husk_is_hex64(id_hint, strlen(id_hint)))
        snprintf(c->id, sizeof c->id, "%s", id_hint);
    const char *name = husk_json_str(c->config, "Name");
    if (name)
        snprintf(c->name, sizeof c->name, "%s", name[0] == '/' ? name + 1 : name);
    const char *st = state_string(json_object_get(c->config, "State"));
    snprintf(c->state, sizeof c->state, "%s", st ? st : "unknown");
    const char *drv = husk_json_str(c->config, "Driver");
    snprintf(c->driver, sizeof c->driver, "%s", drv ? drv : "");
    const char *ld = husk_json_str(c->hostconfig, "LogConfig.Type");
    snprintf(c->log_driver, sizeof c->log_driver, "%s", ld ? ld : "");
    if (e1.code || e2.code) {
        husk_err_set(err, e1.code ? e1.code : e2.code, "%s%s%s", e1.code ? e1.msg : "",
                     e1.code && e2.code ? "; " : "", e2.code ? e2.msg : "");
    }
    if (!c->id[0])
        return husk_err_set(err, HUSK_E_FORMAT, "no container ID in config or directory name");
    return 0;
}

static char *dump_or_null(json_t *j)
{
    if (!j || json_is_null(j))
        return NULL;
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

/* JSON-valued columns of the containers row, kept to free after the insert. */
enum { J_ARGS, J_ENTRY, J_CMD, J_ENV, J_LABELS, J_CAPADD, J_CAPDROP, J_SECOPT, J_DEVICES,
       J_MASKED, J_BINDS, J_COUNT };

static const char *hc_str(const husk_container *c, const char *key)
{
    return husk_json_str(c->hostconfig, key);
}

static int64_t hc_bool(const husk_container *c, const char *key)
{
    json_t *v = json_object_get(c->hostconfig, key);
    return json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : HUSK_NULL_INT;
}

static int write_container(const husk_docker_root *r, const husk_container *c, husk_casedb *db,
                           husk_err *err)
{
    char *j[J_COUNT];
    json_t *cf = c->config, *hcj = c->hostconfig;
    j[J_ARGS] = dump_or_null(json_object_get(cf, "Args"));
    j[J_ENTRY] = dump_or_null(husk_json_get(cf, "Config.Entrypoint"));
    j[J_CMD] = dump_or_null(husk_json_get(cf, "Config.Cmd"));
    j[J_ENV] = dump_or_null(husk_json_get(cf, "Config.Env"));
    j[J_LABELS] = dump_or_null(husk_json_get(cf, "Config.Labels"));
    j[J_CAPADD] = dump_or_null(json_object_get(hcj, "CapAdd"));
    j[J_CAPDROP] = dump_or_null(json_object_get(hcj, "CapDrop"));
    j[J_SECOPT] = dump_or_null(json_object_get(hcj, "SecurityOpt"));
    j[J_DEVICES] = dump_or_null(json_object_get(hcj, "Devices"));
    j[J_MASKED] = dump_or_null(json_object_get(hcj, "MaskedPaths"));
    j[J_BINDS] = dump_or_null(json_object_get(hcj, "Binds"));
    char created[40], started[40], finished[40];
    husk_row_container row = {
        .id = c->id,
        .name = c->name[0] ? c->name : NULL,
        .image_id = husk_json_str(cf, "Image"),
        .image_ref = husk_json_str(cf, "Config.Image"),
        .created = husk_rfc3339_norm(husk_json_str(cf, "Created"), created, sizeof created),
        .started_at =
            husk_rfc3339_norm(husk_json_str(cf, "State.StartedAt"), started, sizeof started),
        .finished_at =
            husk_rfc3339_norm(husk_json_str(cf, "State.FinishedAt"), finished, sizeof finished),
        .state = c->state,
        .exit_code = husk_json_int(cf, "State.ExitCode", HUSK_NULL_INT),
        .pid = husk_json_int(cf, "State.Pid", HUSK_NULL_INT),
        .restart_count = husk_json_int(cf, "RestartCount", HUSK_NULL_INT),
        .driver = c->driver[0] ? c->driver : NULL,
        .rw_layer = c->mount_id[0] ? c->mount_id : NULL,
        .path = husk_json_str(cf, "Path"),
        .args = j[J_ARGS],
        .entrypoint = j[J_ENTRY],
        .cmd = j[J_CMD],
        .env = j[J_ENV],
        .user = husk_json_str(cf, "Config.User"),
        .working_dir = husk_json_str(cf, "Config.WorkingDir"),
        .labels = j[J_LABELS],
        .log_driver = c->log_driver[0] ? c->log_driver : NULL,
        .privileged = hc_bool(c, "Privileged"),
        .pid_mode = hc_str(c, "PidMode"),
        .ipc_mode = hc_str(c, "IpcMode"),
        .network_mode = hc_str(c, "NetworkMode"),
        .userns_mode = hc_str(c, "UsernsMode"),
        .cgroupns_mode = hc_str(c, "CgroupnsMode"),
        .uts_mode = hc_str(c, "UTSMode"),
        .cap_add = j[J_CAPADD],
        .cap_drop = j[J_CAPDROP],
        .security_opt = j[J_SECOPT],
        .devices = j[J_DEVICES],
        .masked_paths = j[J_MASKED],
        .readonly_rootfs = hc_bool(c, "ReadonlyRootfs"),
        .binds = j[J_BINDS],
        .config_json = c->config_raw,
        .hostconfig_json = c->hostconfig_raw,
        .recovered_from = c->prov.recovered_from,
        .confidence = c->prov.confidence,
        .data_root_id = r->db_id,
        .runtime = "docker",
    };
    int rc = husk_casedb_add_container(db, &row, err);
    for (int i = 0; i < J_COUNT; i++)
        free(j[i]);
    return rc;
}

/* "src:dst[:opts]" of HostConfig.Binds, for containers whose MountPoints are gone. */
static int write_bind(const husk_container *c, const char *spec, husk_casedb *db, husk_err *err)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", spec);
    char *dst = strchr(buf, ':');
    if (!dst)
        return 0;
    *dst++ = '\0';
    char *opts = strchr(dst, ':');
    if (opts)
        *opts++ = '\0';
    int rw = !(opts && (strstr(opts, "ro") == opts || strstr(opts, ",ro")));
    int named = buf[0] != '/';
    husk_row_mount m = {c->id, named ? "volume" : "bind", named ? NULL : buf, dst, rw, NULL,
                        named ? buf : NULL};
    return husk_casedb_add_mount(db, &m, err);
}

static int write_mounts(const husk_container *c, husk_casedb *db, husk_err *err)
{
    json_t *mps = json_object_get(c->config, "MountPoints");
    const char *dest;
    json_t *mp;
    int rc = 0, n = 0;
    json_object_foreach(mps, dest, mp)
    {
        if (rc < 0)
            break;
        const char *type = husk_json_str(mp, "Type");
        const char *name = husk_json_str(mp, "Name");
        const char *d = husk_json_str(mp, "Destination");
        husk_row_mount m = {c->id,
                            type ? type : (name && *name ? "volume" : "bind"),
                            husk_json_str(mp, "Source"),
                            d ? d : dest,
                            json_is_true(json_object_get(mp, "RW")),
                            husk_json_str(mp, "Propagation"),
                            name && *name ? name : NULL};
        rc = husk_casedb_add_mount(db, &m, err);
        n++;
    }
    if (n == 0) {
        size_t i;
        json_t *b;
        json_array_foreach(json_object_get(c->hostconfig, "Binds"), i, b)
        {
            if (rc == 0 && json_is_string(b))
                rc = write_bind(c, json_string_value(b), db, err);
        }
    }
    /* --tmpfs mounts live only in the host config */
    json_t *tmp;
    json_object_foreach(json_object_get(c->hostconfig, "Tmpfs"), dest, tmp)
    {
        if (rc < 0)
            break;
        husk_row_mount m = {c->id, "tmpfs", NULL, dest, 1, NULL, NULL};
        rc = husk_casedb_add_mount(db, &m, err);
    }
    return rc;
}

static void read_layer_ids(const husk_docker_root *r, husk_container *c)
{
    static const struct {
        const char *file;
        size_t off;
        size_t size;
    } f[] = {{"mount-id", offsetof(husk_container, mount_id), sizeof c->mount_id},
             {"init-id", offsetof(husk_container, init_id), sizeof c->init_id},
             {"parent", offsetof(husk_container, parent_chain), sizeof c->parent_chain}};
    for (size_t i = 0; i < 3; i++) {
        char rel[512], *data = NULL;
        size_t len = 0;
        snprintf(rel, sizeof rel, "image/%s/layerdb/mounts/%s/%s",
                 r->driver[0] ? r->driver : "overlay2", c->id, f[i].file);
        if (husk_docker_read(r, rel, MAX_LINE_FILE, &data, &len, NULL) < 0)
            continue;
        char *out = (char *)c + f[i].off;
        size_t k = 0;
        /* keep only the ID characters Docker writes ([0-9a-f:sha-init]); drop whitespace */
        for (size_t j = 0; j < len && k + 1 < f[i].size; j++)
            if (isalnum((unsigned char)data[j]) || data[j] == '-' || data[j] == ':')
                out[k++] = data[j];
        out[k] = '\0';
        free(data);
    }
}

/* The provenance of the file rel below the data root on a recovered view: how its bytes were
 * obtained. Unreadable or absent: the weakest form, a name seen in a directory. */
static husk_prov file_prov(const husk_docker_root *r, const char *rel)
{
    husk_prov p = {"dirent", 0.3};
    char path[1024];
    uint64_t ino;
    if (husk_docker_path(r, rel, path, sizeof path) == 0 &&
        husk_fs_lookup(r->fs, path, 0, &ino, NULL) == 0)
        husk_fs_provenance(r->fs, ino, &p, NULL, 0);
    return p;
}

/* 1 when a live container of the case already has this RW layer. */
static int mount_id_is_live(husk_casedb *db, const char *mount_id)
{
    sqlite3_stmt *st = NULL;
    int live = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db),
                           "SELECT 1 FROM containers WHERE rw_layer = ? AND state != 'removed'",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, mount_id, -1, SQLITE_TRANSIENT);
        live = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return live;
}

/* Reports of the readers run on a removed container become recovery notes: a log record or
 * upper file that did not survive is what recovery could not rebuild, not damage. */
/*
 * Reads one containers/<id>/ directory and writes everything known about the container.
 * removed: r->fs is a recovered view and the directory was deleted (docker rm); the container
 * is written with state "removed" and the provenance of its config (or of its name only).
 */
static int one_container(const husk_docker_root *r, const char *id, int removed, size_t i,
                         size_t n, husk_casedb *db, husk_diag *diag, husk_err *err)
{
    const husk_progress *pr = r->opts ? r->opts->progress : NULL;
    char rel[512], what[160];
    char *cfg = NULL, *hc = NULL;
    size_t cfglen = 0, hclen = 0;
    husk_err e = {0};
    const char *phase = removed ? "recovery" : "containers";
    husk_diag notes = {husk_diag_as_recovery, diag, 0};
    if (removed)
        diag = &notes;
    snprintf(what, sizeof what, "%scontainer %s", removed ? "removed " : "", id);
    snprintf(rel, sizeof rel, "containers/%s/config.v2.json", id);
    husk_prov prov = removed ? file_prov(r, rel) : HUSK_PROV_LIVE;
    if (husk_docker_read(r, rel, MAX_CONFIG_JSON, &cfg, &cfglen, &e) < 0)
        husk_diag_report(diag, phase, rel, -1, "config.v2.json %s: %s",
                         removed ? "not recovered" : "unreadable", e.msg);
    husk_err_clear(&e);
    snprintf(rel, sizeof rel, "containers/%s/hostconfig.json", id);
    if (husk_docker_read(r, rel, MAX_CONFIG_JSON, &hc, &hclen, &e) < 0)
        husk_diag_report(diag, phase, rel, -1, "hostconfig.json %s: %s",
                         removed ? "not recovered" : "unreadable", e.msg);
    husk_err_clear(&e);
    if (removed && !cfg) {
        husk_prov hp = file_prov(r, rel);
        if (hc && hp.confidence > prov.confidence)
            prov = hp;
    }
    husk_container c;
    int prc = husk_container_parse(id, cfg, cfglen, hc, hclen, &prov, &c, &e);
    free(cfg);
    free(hc);
    if (e.code)
        husk_diag_report(diag, phase, what, -1, "%s", e.msg);
    if (prc < 0) {
        husk_container_free(&c);
        return 0;
    }
    if (strcmp(c.id, id) != 0)
        husk_diag_report(diag, phase, what, -1,
                         "config.v2.json names container %s but lies in directory %s", c.id, id);
    if (removed)
        snprintf(c.state, sizeof c.state, "removed");
    read_layer_ids(r, &c);
    if (removed && c.mount_id[0] && mount_id_is_live(db, c.mount_id)) {
        /* a recovered mount-id that names a live container's layer came from a reused
         * inode or block, not from this container: its files are not this container's */
        husk_diag_report(diag, phase, what, -1,
                         "recovered mount-id %s belongs to a live container; not used",
                         c.mount_id);
        c.mount_id[0] = c.init_id[0] = '\0';
    }
    int rc = write_container(r, &c, db, err);
    if (rc == 0)
        rc = write_mounts(&c, db, err);
    husk_phase_mark m;
    husk_phase_start(&m);
    husk_progress_report(pr, removed ? "recovery: logs of removed containers" : "parsing container logs",
                         i, n, HUSK_PROGRESS_ITEMS);
    if (rc == 0)
        rc = husk_docker_logs(r, &c, db, diag, err);
    husk_phase_stop(&m, removed ? "recovery.logs" : "containers.logs");
    husk_phase_start(&m);
    husk_progress_report(pr, removed ? "recovery: layers of removed containers"
                                     : "walking and hashing container layers",
                         i, n, HUSK_PROGRESS_ITEMS);
    if (rc == 0)
        rc = husk_docker_diff(r, &c, db, diag, err);
    husk_phase_stop(&m, removed ? "recovery.diff" : "containers.diff");
    husk_progress_report(pr, removed ? "recovery: layers of removed containers"
                                     : "walking and hashing container layers",
                         i + 1, n, HUSK_PROGRESS_ITEMS);
    husk_container_free(&c);
    return rc;
}

int husk_docker_containers(const husk_docker_root *r, husk_casedb *db, husk_diag *diag,
                           husk_err *err)
{
    husk_id_list ids;
    husk_err e = {0};
    if (husk_docker_list_ids(r, "containers", &ids, &e) < 0) {
        if (e.code != HUSK_E_NOTFOUND)
            husk_diag_report(diag, "containers", "containers", -1, "cannot list: %s", e.msg);
        husk_id_list_free(&ids);
        return 0;
    }
    if (ids.skipped)
        husk_diag_report(diag, "containers", "containers", -1,
                         "%zu entries in containers/ are not 64-hex container IDs", ids.skipped);
    int rc = 0;
    husk_diff_defer(); /* hashing and typing overlap the next containers */
    for (size_t i = 0; i < ids.n && rc == 0; i++)
        rc = one_container(r, ids.v[i], 0, i, ids.n, db, diag, err);
    int src = husk_diff_settle(rc ? NULL : err);
    husk_id_list_free(&ids);
    return rc ? rc : src;
}

/* Keeps the 64-hex names the live containers/ directory no longer holds. */
static int collect_removed(const husk_dirent *d, void *ctx)
{
    husk_id_list *l = ctx;
    if (!d->deleted || !husk_is_hex64(d->name, d->name_len))
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (memcmp(l->v[i], d->name, 64) == 0)
            return 0; /* named by several old directory blocks */
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        if (nc > 100000)
            return 1;
        void *p = realloc(l->v, nc * sizeof *l->v);
        if (!p)
            return -HUSK_E_NOMEM;
        l->v = p;
        l->cap = nc;
    }
    memcpy(l->v[l->n], d->name, 64);
    l->v[l->n][64] = '\0';
    l->n++;
    return 0;
}

/* 1 when the case already has a container with this ID (live, or recovered by an earlier
 * data root). */
static int container_known(husk_casedb *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    int known = 0;
    if (sqlite3_prepare_v2(husk_casedb_sqlite(db), "SELECT 1 FROM containers WHERE id = ?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        known = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return known;
}

int husk_docker_removed(const husk_docker_root *view, husk_casedb *db, husk_diag *diag,
                        husk_err *err)
{
    husk_id_list ids = {0};
    husk_err e = {0};
    /* container IDs from every directory that names them: containers/<id>/, and the layer
     * store's mounts/<id>/ (mount-id, init-id, parent), which docker rm deletes too */
    if (husk_docker_list(view, "containers", collect_removed, &ids, &e) < 0 &&
        e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, "recovery", "containers", -1, "cannot list: %s", e.msg);
    husk_err_clear(&e);
    char rel[128];
    snprintf(rel, sizeof rel, "image/%s/layerdb/mounts",
             view->driver[0] ? view->driver : "overlay2");
    if (husk_docker_list(view, rel, collect_removed, &ids, &e) < 0 && e.code != HUSK_E_NOTFOUND)
        husk_diag_report(diag, "recovery", rel, -1, "cannot list: %s", e.msg);
    for (size_t i = 0; i < ids.n;) {
        if (container_known(db, ids.v[i]))
            memmove(ids.v[i], ids.v[--ids.n], sizeof ids.v[i]);
        else
            i++;
    }
    int rc = 0;
    husk_diff_defer();
    for (size_t i = 0; i < ids.n && rc == 0; i++)
        rc = one_container(view, ids.v[i], 1, i, ids.n, db, diag, err);
    int src = husk_diff_settle(rc ? NULL : err);
    husk_id_list_free(&ids);
    return rc ? rc : src;
}

int husk_docker_write_carved(const husk_docker_root *r, const char *cfg, size_t cfglen,
                             const char *hc, size_t hclen, const husk_prov *prov,
                             husk_casedb *db, husk_diag *diag, husk_err *err)
{
    husk_container c;
    husk_err e = {0};
    if (husk_container_parse(NULL, cfg, cfglen, hc, hclen, prov, &c, &e) < 0 || !c.config) {
        husk_container_free(&c);
        return 1;
    }
    if (e.code)
        husk_diag_report(diag, "recovery", c.id, -1, "carved config: %s", e.msg);
    snprintf(c.state, sizeof c.state, "removed");
    int rc = write_container(r, &c, db, err);
    if (rc == 0)
        rc = write_mounts(&c, db, err);
    husk_container_free(&c);
    return rc;
}
