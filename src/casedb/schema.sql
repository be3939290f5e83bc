-- husk case database, schema version 1. Table and column names of docs/case-db.md are a
-- public contract: add, never rename or drop.
CREATE TABLE case_info(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE evidence_segments(idx INTEGER PRIMARY KEY, path TEXT, size INTEGER, sha256 TEXT);
CREATE TABLE volumes(id INTEGER PRIMARY KEY, kind TEXT, offset INTEGER, length INTEGER,
  description TEXT, parent_id INTEGER);
-- journal: the journal's state as found ('none', 'clean', 'needs-recovery ...',
-- 'replayed (N transactions, M blocks)', 'xfs-log-dirty', ...; include/husk/replay.h).
CREATE TABLE filesystems(id INTEGER PRIMARY KEY, volume_id INTEGER, offset INTEGER, fstype TEXT,
  label TEXT, uuid TEXT, block_size INTEGER, size INTEGER, root_inode INTEGER, mount_point TEXT, journal TEXT);
CREATE TABLE data_roots(id INTEGER PRIMARY KEY, filesystem_id INTEGER, path TEXT, runtime TEXT,
  storage_driver TEXT, how_found TEXT, node_path TEXT);
CREATE TABLE images(id TEXT PRIMARY KEY, repo_tags TEXT, created TEXT, os TEXT, architecture TEXT,
  config_json TEXT, recovered_from TEXT, repo_digests TEXT, parent TEXT, last_updated TEXT,
  size INTEGER, digest_ok INTEGER, data_root_id INTEGER);
CREATE TABLE image_history(image_id TEXT, idx INTEGER, created TEXT, created_by TEXT,
  empty_layer INTEGER, comment TEXT, size INTEGER, chain_id TEXT);
CREATE TABLE layers(chain_id TEXT PRIMARY KEY, diff_id TEXT, parent_chain_id TEXT, cache_id TEXT,
  size INTEGER, integrity TEXT, data_root_id INTEGER);
CREATE TABLE containers(id TEXT PRIMARY KEY, name TEXT, image_id TEXT, image_ref TEXT,
  created TEXT, started_at TEXT, finished_at TEXT, state TEXT, exit_code INTEGER, pid INTEGER,
  restart_count INTEGER, driver TEXT, rw_layer TEXT, path TEXT, args TEXT, entrypoint TEXT,
  cmd TEXT, env TEXT, user TEXT, working_dir TEXT, labels TEXT, log_driver TEXT,
  privileged INTEGER, pid_mode TEXT, ipc_mode TEXT, network_mode TEXT, userns_mode TEXT,
  cgroupns_mode TEXT, uts_mode TEXT, cap_add TEXT, cap_drop TEXT, security_opt TEXT,
  devices TEXT, masked_paths TEXT, readonly_rootfs INTEGER, binds TEXT, config_json TEXT,
  hostconfig_json TEXT, recovered_from TEXT, confidence REAL, data_root_id INTEGER,
  runtime TEXT, namespace TEXT, pod_uid TEXT, sandbox_id TEXT);
CREATE TABLE mounts(container_id TEXT, type TEXT, source TEXT, destination TEXT, rw INTEGER,
  propagation TEXT, volume_name TEXT);
CREATE TABLE files(id INTEGER PRIMARY KEY, container_id TEXT, layer TEXT, scope TEXT, path TEXT,
  change TEXT, type TEXT, mode INTEGER, uid INTEGER, gid INTEGER, size INTEGER, mtime TEXT,
  atime TEXT, ctime TEXT, crtime TEXT, inode INTEGER, sha256 TEXT, magic TEXT, link_target TEXT,
  recovered_from TEXT, confidence REAL, filesystem_id INTEGER, host_path TEXT);
CREATE TABLE container_diff(container_id TEXT, change TEXT, path TEXT);
CREATE TABLE logs(id INTEGER PRIMARY KEY, container_id TEXT, source TEXT, file TEXT, seq INTEGER,
  time TEXT, stream TEXT, message TEXT, partial INTEGER, recovered_from TEXT, confidence REAL,
  attribution TEXT);
CREATE TABLE findings(id INTEGER PRIMARY KEY, container_id TEXT, severity TEXT, rule TEXT,
  title TEXT, evidence TEXT, path TEXT);
-- src_table/src_rowid: the row the fact was copied from (its rowid in that table);
-- recovered_from/confidence: that row's, where the table has them.
CREATE TABLE timeline(time TEXT, source TEXT, kind TEXT, container_id TEXT, path TEXT,
  description TEXT, src_table TEXT, src_rowid INTEGER, recovered_from TEXT, confidence REAL);
CREATE TABLE errors(id INTEGER PRIMARY KEY, phase TEXT, object TEXT, offset INTEGER,
  message TEXT, time TEXT);
-- Docker named and anonymous volumes (volumes/metadata.db and volumes/<name>/); opts_json is
-- the local driver's volumes/<name>/opts.json as found.
CREATE TABLE docker_volumes(name TEXT, driver TEXT, labels TEXT, options TEXT, created TEXT,
  mountpoint TEXT, data_root_id INTEGER, recovered_from TEXT, opts_json TEXT);
-- Everything carving found in unallocated space and the ext4 journal (husk_carve_fs): one row
-- per artefact (deduplicated by content), with what became of it: used_as 'container' (a
-- removed container written from it), 'hostconfig' (joined to a carved container), 'log' (a
-- logs row, logs_id), 'duplicate' (the same bytes the case already has from a live or
-- recovered file), or NULL (kept, not attributed). container_id/attribution/confidence say to
-- whom it was attributed, how ('config-id', 'adjacent', 'contiguity', 'time-window') and how
-- sure husk is.
CREATE TABLE carved(id INTEGER PRIMARY KEY, filesystem_id INTEGER, kind TEXT, offset INTEGER,
  location TEXT, in_gzip INTEGER, gzip_offset INTEGER, size INTEGER, sha256 TEXT, data BLOB,
  container_id TEXT, used_as TEXT, attribution TEXT, confidence REAL, logs_id INTEGER);
-- What recovery got back for each removed container, and what it did not and why (one row per
-- container and item: identity, config, hostconfig, logs, files), plus case-wide rows
-- (container_id NULL: carving, unattributed log lines, orphan layers).
CREATE TABLE recovery_summary(container_id TEXT, item TEXT, status TEXT, count INTEGER,
  method TEXT, confidence REAL, detail TEXT);
-- containerd (io.containerd.metadata.v1.bolt/meta.db, the snapshotters' metadata.db): one row
-- per snapshot, content blob and lease of every namespace.
CREATE TABLE containerd_snapshots(data_root_id INTEGER, namespace TEXT, snapshotter TEXT,
  key TEXT, parent TEXT, backend_name TEXT, backend_id INTEGER, kind TEXT, created TEXT,
  updated TEXT, labels TEXT, recovered_from TEXT);
CREATE TABLE containerd_content(data_root_id INTEGER, namespace TEXT, digest TEXT, size INTEGER,
  created TEXT, updated TEXT, labels TEXT, recovered_from TEXT);
CREATE TABLE containerd_leases(data_root_id INTEGER, namespace TEXT, id TEXT, created TEXT,
  labels TEXT, resources TEXT, recovered_from TEXT);
-- Kubernetes pods as the CRI plugin recorded their sandboxes.
CREATE TABLE pods(uid TEXT, name TEXT, namespace TEXT, sandbox_id TEXT, created TEXT,
  state TEXT, hostname TEXT, log_directory TEXT, host_network INTEGER, host_pid INTEGER,
  host_ipc INTEGER, labels TEXT, annotations TEXT, config_json TEXT, recovered_from TEXT,
  confidence REAL, data_root_id INTEGER);
-- Projected service-account tokens the kubelet wrote for pods: hash, decoded header and claims;
-- the token itself only with analyse --keep-secrets.
CREATE TABLE sa_tokens(pod_uid TEXT, volume TEXT, path TEXT, sha256 TEXT, header_json TEXT,
  claims_json TEXT, subject TEXT, issuer TEXT, issued_at TEXT, expires_at TEXT, token TEXT,
  data_root_id INTEGER, recovered_from TEXT, confidence REAL);
-- The kubelet's configuration, kubeconfigs (content only with --keep-secrets) and static pod
-- manifests.
CREATE TABLE kubelet_files(kind TEXT, path TEXT, sha256 TEXT, size INTEGER, mtime TEXT,
  ctime TEXT, content TEXT, filesystem_id INTEGER);
-- The kubelet's /var/log/containers/<pod>_<namespace>_<container>-<container id>.log links to the
-- CRI log files, with what their names say.
CREATE TABLE pod_log_links(path TEXT, target TEXT, pod TEXT, namespace TEXT, container TEXT,
  container_id TEXT, filesystem_id INTEGER);
CREATE INDEX files_container ON files(container_id);
CREATE INDEX logs_container ON logs(container_id, seq);
CREATE INDEX timeline_time ON timeline(time);
-- looked up per directory name when removed pods and snapshots are rebuilt (cri_removed.c)
CREATE INDEX pods_uid ON pods(uid);
CREATE INDEX containerd_snapshots_backend ON containerd_snapshots(data_root_id, backend_id);
