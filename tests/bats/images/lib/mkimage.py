#!/usr/bin/env python3
"""Build OCI image layouts for hutch's image tests, offline.

    mkimage.py RECIPE OUTDIR TAG [ARGS...]

Recipes:
  busybox         one gzip layer: the busybox rootfs of the test fixtures
  multi           busybox + a layer with several owners, a setuid file, hard
                  links, xattrs, a fifo and dirs to delete + a zstd layer with
                  whiteouts and an opaque directory
  index           an OCI index: linux/amd64 (busybox), linux/arm64 (a tiny
                  layer) and an attestation manifest (unknown/unknown)
  big SIZE_MB N   N gzip layers of random files, SIZE_MB in total (benchmark)
  tree DIR SIZE_MB N
                  N gzip layers of DIR's files, up to SIZE_MB (benchmark)
  hostile KIND    one layer crafted to escape the snapshot; KIND is one of
                  dotdot absolute symlink-file hardlink-out swapdir device
                  whiteout-dotdot xattr-spoof
  gzip KIND       the busybox layer compressed oddly: gzip-members (two
                  gzip members, valid) or gzip-cut (cut short)
The layout is written to OUTDIR (created), with TAG as ref name.
"""
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import time

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_TAR = "application/vnd.oci.image.layer.v1.tar"
MT_GZIP = MT_TAR + "+gzip"
MT_ZSTD = MT_TAR + "+zstd"
FIXTURES = os.environ.get("HUTCH_TEST_DATA", "/var/tmp/hutch-test")
MTIME = 1700000000


class Layout:
    def __init__(self, out):
        self.out = out
        os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(out, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def blob(self, data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.out, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    def image(self, layers, arch="amd64", cmd=("sh",)):
        """layers: list of (tar bytes, compression). Returns the manifest
        descriptor."""
        descs, diff_ids = [], []
        for tar, comp in layers:
            diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
            if comp == "gzip":
                data, mt = gzip.compress(tar, 6, mtime=0), MT_GZIP
            elif comp == "gzip-members":
                # Two gzip members one after the other (cat a.gz b.gz):
                # valid gzip, one stream when decompressed.
                half = len(tar) // 2
                data = gzip.compress(tar[:half], 6, mtime=0) + gzip.compress(tar[half:], 6, mtime=0)
                mt = MT_GZIP
            elif comp == "gzip-cut":
                # The last third of the compressed stream is missing (the
                # manifest's digest is that of what is left).
                full = gzip.compress(tar, 6, mtime=0)
                data, mt = full[:len(full) * 2 // 3], MT_GZIP
            elif comp == "zstd":
                data = subprocess.run(["zstd", "-q", "-c", "-3"], input=tar,
                                      stdout=subprocess.PIPE, check=True).stdout
                mt = MT_ZSTD
            else:
                data, mt = tar, MT_TAR
            dg, size = self.blob(data)
            descs.append({"mediaType": mt, "digest": dg, "size": size})
        config = {
            "created": "2024-01-01T00:00:00Z",
            "architecture": arch,
            "os": "linux",
            "config": {"Cmd": list(cmd), "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Labels": {"org.hutch.test": "yes"}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "mkimage.py"}
                        for _ in layers],
        }
        cdg, csize = self.blob(json.dumps(config).encode())
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
                    "config": {"mediaType": MT_CONFIG, "digest": cdg, "size": csize},
                    "layers": descs}
        mdg, msize = self.blob(json.dumps(manifest).encode())
        return {"mediaType": MT_MANIFEST, "digest": mdg, "size": msize,
                "platform": {"architecture": arch, "os": "linux"}}

    def index(self, tag, descs):
        for d in descs:
            d.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = tag
        with open(os.path.join(self.out, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": descs}, f)


class Tar:
    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def add(self, name, kind="file", data=b"", mode=0o644, uid=0, gid=0, target="",
            xattrs=None, major=0, minor=0):
        ti = tarfile.TarInfo(name)
        ti.mtime, ti.uid, ti.gid, ti.mode = MTIME, uid, gid, mode
        ti.uname = ti.gname = ""
        if xattrs:
            ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        if kind == "file":
            ti.size = len(data)
            self.tar.addfile(ti, io.BytesIO(data))
            return
        ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                   "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE,
                   "char": tarfile.CHRTYPE}[kind]
        ti.linkname, ti.devmajor, ti.devminor = target, major, minor
        self.tar.addfile(ti)

    def add_tree(self, root):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, root)
            for name in sorted(dirnames + filenames):
                full = os.path.join(dirpath, name)
                arc = name if rel == "." else os.path.join(rel, name)
                st = os.lstat(full)
                mode = st.st_mode & 0o7777
                if os.path.islink(full):
                    self.add(arc, "symlink", target=os.readlink(full), mode=0o777)
                elif os.path.isdir(full):
                    self.add(arc, "dir", mode=mode)
                elif os.path.isfile(full):
                    with open(full, "rb") as f:
                        self.add(arc, data=f.read(), mode=mode)

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def busybox_tar():
    t = Tar()
    t.add_tree(os.path.join(FIXTURES, "busybox-rootfs"))
    return t.bytes()


def multi_layers():
    owners = Tar()
    owners.add("data", "dir", mode=0o755)
    owners.add("data/root-file", data=b"root\n", uid=0, gid=0)
    owners.add("data/user-file", data=b"user\n", mode=0o640, uid=1000, gid=1000)
    owners.add("data/nobody-file", data=b"nobody\n", uid=65534, gid=65534)
    owners.add("data/setuid-tool", data=b"#!/bin/sh\necho suid\n", mode=0o4755)
    owners.add("data/hard-a", data=b"linked content\n")
    owners.add("data/hard-b", "hardlink", target="data/hard-a")
    owners.add("data/xattr-file", data=b"x\n", xattrs={"user.hutch.test": "hello"})
    owners.add("data/fifo", "fifo", mode=0o600)
    owners.add("data/drop", "dir", mode=0o755)
    owners.add("data/drop/gone", data=b"will be whited out\n")
    owners.add("data/file-to-delete", data=b"bye\n")
    owners.add("opaque", "dir", mode=0o755)
    owners.add("opaque/old", data=b"hidden by the opaque marker\n")
    owners.add("home/user", "dir", mode=0o750, uid=1000, gid=1000)
    top = Tar()
    top.add("data", "dir", mode=0o755)
    top.add("data/.wh.drop")
    top.add("data/.wh.file-to-delete")
    top.add("opaque", "dir", mode=0o755)
    top.add("opaque/.wh..wh..opq")
    top.add("opaque/new", data=b"new content\n")
    top.add("etc/motd", data=b"hello from the zstd layer\n")
    return [(busybox_tar(), "gzip"), (owners.bytes(), "gzip"), (top.bytes(), "zstd")]


def hostile_tar(kind):
    t = Tar()
    t.add("ok", data=b"fine\n")
    if kind == "dotdot":
        t.add("../escaped-dotdot", data=b"escaped\n")
    elif kind == "absolute":
        t.add("/tmp/escaped-absolute", data=b"escaped\n")
    elif kind == "symlink-file":
        t.add("link", "symlink", target="/tmp")
        t.add("link/escaped-symlink", data=b"escaped\n")
    elif kind == "symlink-relative":
        t.add("link", "symlink", target="../../../../../../../../tmp")
        t.add("link/escaped-symlink", data=b"escaped\n")
    elif kind == "hardlink-out":
        t.add("hl", "hardlink", target="../../../../../../../../etc/passwd")
    elif kind == "swapdir":
        t.add("d", "dir", mode=0o755)
        t.add("d/inside", data=b"inside\n")
        t.add("d", "symlink", target="/tmp")
        t.add("d/escaped-swapdir", data=b"escaped\n")
    elif kind == "device":
        t.add("dev", "dir", mode=0o755)
        t.add("dev/evil-null", "char", mode=0o666, major=1, minor=3)
    elif kind == "whiteout-dotdot":
        t.add("a", "dir", mode=0o755)
        t.add("a/.wh...", data=b"")
    elif kind == "xattr-spoof":
        t.add("spoof", data=b"x\n", xattrs={"user.containers.override_stat": "0:0:04755"})
    else:
        sys.exit("unknown hostile kind " + kind)
    return t.bytes()


def big_layers(total_mb, n):
    rnd = random.Random(42)
    per_layer = total_mb * 1024 * 1024 // n
    layers = []
    for i in range(n):
        t = Tar()
        left, k = per_layer, 0
        t.add("layer%d" % i, "dir", mode=0o755)
        while left > 0:
            size = min(left, rnd.choice([4096, 16384, 65536, 262144, 1048576]))
            # Half random (incompressible), half text-like, as real files are.
            data = rnd.randbytes(size // 2) + (b"hutch benchmark line\n" * (size // 42 + 1))[:size - size // 2]
            t.add("layer%d/d%d/f%d" % (i, k // 100, k), data=data)
            left -= size
            k += 1
        layers.append((t.bytes(), "gzip"))
    return layers


def tree_layers(src, total_mb, n):
    """Real files (binaries, libraries, text) from src, up to total_mb,
    in n gzip layers: what decompression costs on real images."""
    layers = [Tar() for _ in range(n)]
    sizes = [0] * n
    left = total_mb * 1024 * 1024
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if left <= 0:
                break
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            try:
                with open(full, "rb") as f:
                    data = f.read(left)
            except OSError:
                continue
            i = sizes.index(min(sizes))
            layers[i].add("layer%d/%s" % (i, os.path.relpath(full, src)), data=data)
            sizes[i] += len(data)
            left -= len(data)
    return [(t.bytes(), "gzip") for t in layers]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    recipe, out, tag = sys.argv[1:4]
    lay = Layout(out)
    if recipe == "busybox":
        descs = [lay.image([(busybox_tar(), "gzip")])]
    elif recipe == "multi":
        descs = [lay.image(multi_layers())]
    elif recipe == "index":
        amd = lay.image([(busybox_tar(), "gzip")])
        small = Tar()
        small.add("arm64-marker", data=b"arm64\n")
        arm = lay.image([(small.bytes(), "gzip")], arch="arm64")
        att = lay.image([(Tar().bytes(), "none")], arch="unknown")
        att["platform"] = {"architecture": "unknown", "os": "unknown"}
        att["annotations"] = {"vnd.docker.reference.type": "attestation-manifest",
                              "vnd.docker.reference.digest": amd["digest"]}
        inner = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [arm, amd, att]}
        idg, isize = lay.blob(json.dumps(inner).encode())
        descs = [{"mediaType": MT_INDEX, "digest": idg, "size": isize}]
    elif recipe == "big":
        descs = [lay.image(big_layers(int(sys.argv[4]), int(sys.argv[5])))]
    elif recipe == "tree":
        descs = [lay.image(tree_layers(sys.argv[4], int(sys.argv[5]), int(sys.argv[6])))]
    elif recipe == "hostile":
        descs = [lay.image([(hostile_tar(sys.argv[4]), "gzip")])]
    elif recipe == "gzip":
        descs = [lay.image([(busybox_tar(), sys.argv[4])])]
    else:
        sys.exit("unknown recipe " + recipe)
    lay.index(tag, descs)


if __name__ == "__main__":
    main()
