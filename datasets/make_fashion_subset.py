#!/usr/bin/env python3
"""Write the small Fashion-MNIST subset committed in datasets/fashion-mnist-subset/.

Source: the Debian package `dataset-fashion-mnist` (files in /usr/share/datasets/fashion-mnist,
install with datasets/install-fashion-mnist.sh). Selection, fixed so the output is a pure function
of the source files:
  classes 2 (pullover) and 4 (coat) -- a visually close pair, not linearly trivial;
  train: the first 1000 examples of each class in file order (2000 in all);
  test : the first  500 examples of each class in file order (1000 in all);
  the selected examples keep their file order and their original labels (2 and 4);
  relabelling to 0..C-1 is the loader's job (eoslab.data.Datasets).
Output: IDX files (magic 0x00000803 images, 0x00000801 labels, big-endian header), gzip level 9
with mtime 0 and no stored file name, so the bytes do not depend on when the script ran, and a
SHA256SUMS file the Java loader verifies.  Only the Python standard library is used.

usage: python3 datasets/make_fashion_subset.py [SOURCE_DIR] [OUT_DIR]
"""
import gzip
import hashlib
import io
import os
import struct
import sys

CLASSES = (2, 4)
PER_CLASS = {"train": 1000, "t10k": 500}


def read_idx(path, want_magic):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != want_magic:
        sys.exit(f"{path}: magic 0x{magic:08x}, expected 0x{want_magic:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    item = 1
    for d in dims[1:]:
        item *= d
    if len(body) != dims[0] * item:
        sys.exit(f"{path}: {len(body)} data bytes, header says {dims[0] * item}")
    return dims, body, item


def write_gz(path, payload):
    buf = io.BytesIO()
    # mtime=0 and filename='' keep the gzip header free of time and name: reproducible bytes.
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as g:
        g.write(payload)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-subset")
    os.makedirs(out, exist_ok=True)
    names = []
    for split, per_class in PER_CLASS.items():
        (n, rows, cols), images, item = read_idx(os.path.join(src, f"{split}-images-idx3-ubyte.gz"), 0x00000803)
        (nl,), labels, _ = read_idx(os.path.join(src, f"{split}-labels-idx1-ubyte.gz"), 0x00000801)
        if nl != n:
            sys.exit(f"{split}: {n} images but {nl} labels")
        taken = {c: 0 for c in CLASSES}
        keep = []
        for i in range(n):
            c = labels[i]
            if c in taken and taken[c] < per_class:
                taken[c] += 1
                keep.append(i)
        if any(v < per_class for v in taken.values()):
            sys.exit(f"{split}: not enough examples per class: {taken}")
        m = len(keep)
        img = struct.pack(">IIII", 0x00000803, m, rows, cols) + b"".join(images[i * item:(i + 1) * item] for i in keep)
        lab = struct.pack(">II", 0x00000801, m) + bytes(labels[i] for i in keep)
        for kind, payload in (("images-idx3", img), ("labels-idx1", lab)):
            name = f"{split}-{kind}-ubyte.gz"
            write_gz(os.path.join(out, name), payload)
            names.append(name)
        print(f"{split}: {m} examples, classes {CLASSES}, {per_class} per class")
    with open(os.path.join(out, "SHA256SUMS"), "w") as f:
        for name in sorted(names):
            with open(os.path.join(out, name), "rb") as g:
                f.write(f"{hashlib.sha256(g.read()).hexdigest()}  {name}\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
