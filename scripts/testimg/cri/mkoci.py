#!/usr/bin/python3
"""Write an OCI image layout archive (the format `ctr images import` reads) from layer tars,
for test images on a node without a registry (scripts/testimg/node-g.sh).

usage: mkoci.py OUT.tar IMAGE-NAME CONFIG.json LAYER.tar [LAYER.tar...]
CONFIG.json holds the image config's "config" object (Entrypoint, Cmd, Env, Labels,
WorkingDir) and optionally "created" and "history"; rootfs.diff_ids are filled in here.
Layers are gzip-compressed (deterministic: mtime 0); everything else is fixed too, so the
same inputs give the same digests.
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def main(out, name, cfg_path, layers):
    blobs = {}
    with open(cfg_path) as f:
        cfg_in = json.load(f)
    diff_ids, layer_descs = [], []
    for lp in layers:
        with open(lp, "rb") as f:
            raw = f.read()
        diff_ids.append(sha(raw))
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as g:
            g.write(raw)
        gz = buf.getvalue()
        blobs[sha(gz)] = gz
        layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": sha(gz), "size": len(gz)})
    config = {"architecture": "amd64", "os": "linux",
              "created": cfg_in.get("created", "2025-01-15T10:00:00Z"),
              "config": cfg_in.get("config", {}),
              "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": cfg_in.get("history", [])}
    cb = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    blobs[sha(cb)] = cb
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": sha(cb), "size": len(cb)},
                "layers": layer_descs}
    mb = json.dumps(manifest, separators=(",", ":")).encode()
    blobs[sha(mb)] = mb
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": sha(mb), "size": len(mb),
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"io.containerd.image.name": name,
                                            "org.opencontainers.image.ref.name": tag}}]}
    ib = json.dumps(index, separators=(",", ":")).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(path, data):
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            ti.mtime = 1736935200
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", ib)
        for d in sorted(blobs):
            add("blobs/sha256/" + d.split(":")[1], blobs[d])
    print(sha(mb))


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
