/* Writers for the containerd, pod and kubelet tables (include/husk/casedb.h). Few rows per
 * case, so each statement is prepared per call (casedb_exec); every value is bound. */
#include "casedb_int.h"

int husk_casedb_add_ctrd_snapshot(husk_casedb *db, const husk_row_ctrd_snapshot *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO containerd_snapshots(data_root_id, namespace, snapshotter, key, "
                       "parent, backend_name, backend_id, kind, created, updated, labels, "
                       "recovered_from) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                       err, "itttttitttt" "t", r->data_root_id, r->ns, r->snapshotter, r->key,
                       r->parent, r->backend_name, r->backend_id, r->kind, r->created, r->updated,
                       r->labels, r->recovered_from);
}

int husk_casedb_add_ctrd_content(husk_casedb *db, const husk_row_ctrd_content *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO containerd_content(data_root_id, namespace, digest, size, "
                       "created, updated, labels, recovered_from) VALUES(?,?,?,?,?,?,?,?)",
                       err, "ittitttt", r->data_root_id, r->ns, r->digest, r->size, r->created,
                       r->updated, r->labels, r->recovered_from);
}

int husk_casedb_add_ctrd_lease(husk_casedb *db, const husk_row_ctrd_lease *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO containerd_leases(data_root_id, namespace, id, created, labels, "
                       "resources, recovered_from) VALUES(?,?,?,?,?,?,?)",
                       err, "ittttt" "t", r->data_root_id, r->ns, r->id, r->created, r->labels,
                       r->resources, r->recovered_from);
}

int husk_casedb_add_pod(husk_casedb *db, const husk_row_pod *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO pods(uid, name, namespace, sandbox_id, created, state, "
                       "hostname, log_directory, host_network, host_pid, host_ipc, labels, "
                       "annotations, config_json, recovered_from, confidence, data_root_id) "
                       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       err, "ttttttttiiitttt" "di", r->uid, r->name, r->ns, r->sandbox_id,
                       r->created, r->state, r->hostname, r->log_directory, r->host_network,
                       r->host_pid, r->host_ipc, r->labels, r->annotations, r->config_json,
                       r->recovered_from, r->confidence, r->data_root_id);
}

int husk_casedb_add_sa_token(husk_casedb *db, const husk_row_sa_token *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO sa_tokens(pod_uid, volume, path, sha256, header_json, "
                       "claims_json, subject, issuer, issued_at, expires_at, token, data_root_id, "
                       "recovered_from, confidence) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       err, "ttttttttttmitd", r->pod_uid, r->volume, r->path, r->sha256,
                       r->header_json, r->claims_json, r->subject, r->issuer, r->issued_at,
                       r->expires_at, r->token, r->token_len, r->data_root_id,
                       r->recovered_from ? r->recovered_from : "live",
                       r->recovered_from ? r->confidence : 1.0);
}

int husk_casedb_add_kubelet_file(husk_casedb *db, const husk_row_kubelet_file *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO kubelet_files(kind, path, sha256, size, mtime, ctime, content, "
                       "filesystem_id) VALUES(?,?,?,?,?,?,?,?)",
                       err, "tttittmi", r->kind, r->path, r->sha256, r->size, r->mtime, r->ctime,
                       r->content, r->content_len, r->filesystem_id);
}

int husk_casedb_add_pod_log_link(husk_casedb *db, const husk_row_pod_log_link *r, husk_err *err)
{
    return casedb_exec(db,
                       "INSERT INTO pod_log_links(path, target, pod, namespace, container, "
                       "container_id, filesystem_id) VALUES(?,?,?,?,?,?,?)",
                       err, "tttttti", r->path, r->target, r->pod, r->ns, r->container,
                       r->container_id, r->filesystem_id);
}
