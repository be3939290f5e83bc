#!/usr/bin/python3
"""Print the live tree of a bbolt file (containerd meta.db, snapshotter metadata.db) as
indented text, for people reading husk's test data (not used by the tests).
usage: boltdump.py FILE
Buckets end in '/'; values are printed as text when printable, else as hex (first 96 bytes).
Only the tree reachable from the newer valid meta page is walked (no free pages).
"""
import struct
import sys


def fnv64a(b):
    h = 0xcbf29ce484222325
    for c in b:
        h ^= c
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


def main(path):
    data = open(path, "rb").read()
    metas = []
    psz0 = struct.unpack_from("<I", data, 24)[0] if len(data) >= 28 else 0
    for off in (0, psz0):
        m = data[off + 16: off + 80]
        if off < 0 or len(m) < 64:
            continue
        magic, version, psz, _fl, root, seq, fl, pgid, txid, ck = struct.unpack("<IIIIQQQQQQ", m)
        if magic == 0xED0CDAED and version == 2 and fnv64a(m[:56]) == ck:
            metas.append((txid, psz, root))
    if not metas:
        print("no valid meta page")
        return 1
    txid, psz, root = max(metas)
    print("# %s: page size %d, txid %d, root page %d" % (path, psz, txid, root))

    def show(b):
        if b and all(32 <= c < 127 for c in b):
            return b.decode()
        return "0x" + b[:96].hex() + ("..." if len(b) > 96 else "")

    def walk_page(buf, depth, seen):
        _pid, flags, count, _ov = struct.unpack_from("<QHHI", buf, 0)
        if flags & 0x01:
            for i in range(count):
                pos, ksz, child = struct.unpack_from("<IIQ", buf, 16 + 16 * i)
                if child in seen or child * psz >= len(data):
                    continue
                seen.add(child)
                walk_page(data[child * psz:], depth, seen)
        elif flags & 0x02:
            for i in range(count):
                e = 16 + 16 * i
                fl, pos, ksz, vsz = struct.unpack_from("<IIII", buf, e)
                k = buf[e + pos: e + pos + ksz]
                v = buf[e + pos + ksz: e + pos + ksz + vsz]
                if fl & 1:
                    broot, bseq = struct.unpack_from("<QQ", v, 0)
                    print("  " * depth + show(k) + "/" + ("  (sequence %d)" % bseq if bseq else ""))
                    if broot == 0:
                        walk_page(v[16:], depth + 1, seen)
                    else:
                        walk_page(data[broot * psz:], depth + 1, seen)
                else:
                    print("  " * depth + show(k) + " = " + show(v))

    walk_page(data[root * psz:], 0, {root})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
