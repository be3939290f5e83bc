#!/usr/bin/python3
"""A small CRI (Kubernetes Container Runtime Interface, runtime.v1) client for husk's test-image
builder: it plays the kubelet's part against containerd's CRI plugin, which Debian does not
ship a crictl for. Written for scripts/testimg/node-g.sh; the messages it knows are in
cri_min.proto (CRI field numbers), compiled at run time with grpc_tools (python3-grpc-tools).

usage: cri.py --endpoint unix:///run/containerd/containerd.sock COMMAND ARGS...
  version
  runp POD.json                          -> prints the pod sandbox id
  create POD_ID CTR.json POD.json        -> prints the container id
  start ID | stop ID [TIMEOUT] | rm ID | stopp POD_ID | rmp POD_ID | reopen ID
  pods | ps | images                     -> JSON lists (as crictl -o json prints them)
  inspect ID | inspectp POD_ID           -> JSON status + verbose info (as crictl inspect)
POD.json / CTR.json are PodSandboxConfig / ContainerConfig in protobuf JSON form.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def load_modules():
    # CRI_PY_OUT: a directory to keep the compiled modules in between calls
    out = os.environ.get("CRI_PY_OUT") or tempfile.mkdtemp(prefix="cri-py.")
    if not os.path.exists(os.path.join(out, "cri_min_pb2_grpc.py")):
        os.makedirs(out, exist_ok=True)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", HERE, "--python_out=" + out,
                        "--grpc_python_out=" + out, os.path.join(HERE, "cri_min.proto")], check=True)
    sys.path.insert(0, out)
    import cri_min_pb2
    import cri_min_pb2_grpc
    return cri_min_pb2, cri_min_pb2_grpc


def main(argv):
    import grpc
    from google.protobuf import json_format
    if len(argv) < 3 or argv[0] != "--endpoint":
        sys.stderr.write(__doc__)
        return 2
    endpoint, cmd, args = argv[1], argv[2], argv[3:]
    pb, pbg = load_modules()
    chan = grpc.insecure_channel(endpoint)
    rt = pbg.RuntimeServiceStub(chan)
    im = pbg.ImageServiceStub(chan)

    def js(msg):
        return json_format.MessageToDict(msg, preserving_proto_field_name=False,
                                        including_default_value_fields=True)

    def load(path, cls):
        with open(path) as f:
            return json_format.Parse(f.read(), cls())

    def info_dict(info):
        d = {}
        for k, v in info.items():
            try:
                d[k] = json.loads(v)
            except ValueError:
                d[k] = v
        return d

    def out(obj):
        print(json.dumps(obj, indent=2, sort_keys=False))

    if cmd == "version":
        out(js(rt.Version(pb.VersionRequest(version="v1"))))
    elif cmd == "runp":
        r = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=load(args[0], pb.PodSandboxConfig)))
        print(r.pod_sandbox_id)
    elif cmd == "create":
        r = rt.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=args[0], config=load(args[1], pb.ContainerConfig),
            sandbox_config=load(args[2], pb.PodSandboxConfig)))
        print(r.container_id)
    elif cmd == "start":
        rt.StartContainer(pb.StartContainerRequest(container_id=args[0]))
    elif cmd == "stop":
        rt.StopContainer(pb.StopContainerRequest(container_id=args[0],
                                                 timeout=int(args[1]) if len(args) > 1 else 0))
    elif cmd == "rm":
        rt.RemoveContainer(pb.RemoveContainerRequest(container_id=args[0]))
    elif cmd == "stopp":
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=args[0]))
    elif cmd == "rmp":
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]))
    elif cmd == "reopen":
        rt.ReopenContainerLog(pb.ReopenContainerLogRequest(container_id=args[0]))
    elif cmd == "pods":
        out({"items": [js(i) for i in rt.ListPodSandbox(pb.ListPodSandboxRequest()).items]})
    elif cmd == "ps":
        out({"containers": [js(c) for c in rt.ListContainers(pb.ListContainersRequest()).containers]})
    elif cmd == "images":
        out({"images": [js(i) for i in im.ListImages(pb.ListImagesRequest()).images]})
    elif cmd == "inspect":
        r = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=args[0], verbose=True))
        out({"status": js(r.status), "info": info_dict(r.info)})
    elif cmd == "inspectp":
        r = rt.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=args[0], verbose=True))
        out({"status": js(r.status), "info": info_dict(r.info)})
    else:
        sys.stderr.write("unknown command %r\n%s" % (cmd, __doc__))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
