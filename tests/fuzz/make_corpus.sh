#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the seed corpus in tests/fuzz/corpus/ (committed; run only to refresh it).
# Usage: tests/fuzz/make_corpus.sh PATH/TO/embzip   (python3-numpy and the embzip CLI)
# Small inputs on purpose: libFuzzer mutates them fastest, and they still cover every method,
# value type, quantization, several books and overflow rows.
set -euo pipefail
EMBZIP="$(realpath "$1")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
C="$HERE/corpus"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

python3 - "$TMP" "$C" <<'PY'
import json, struct, sys
import numpy as np
tmp, c = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(1)
def save(path, a):
    np.save(path, a, allow_pickle=False)
narrow = np.clip(np.round(rng.normal(0, 4, (24, 8))), -127, 127).astype(np.int8)
narrow[5] = rng.integers(-128, 128, 8)  # an outlier row: overflow and several books
save(f"{tmp}/i8.npy", narrow)
save(f"{tmp}/u8.npy", rng.integers(0, 40, (16, 6)).astype(np.uint8))
f = rng.normal(0, 0.5, (12, 6)).astype(np.float32)
save(f"{tmp}/f32q.npy", f)  # finite: the quantized seeds
f[0, :4] = [np.nan, np.inf, -0.0, 1e-40]
save(f"{tmp}/f32.npy", f)
save(f"{tmp}/f16.npy", f.astype(np.float16))
save(f"{tmp}/bf16.npy", (f.view(np.uint32) >> 16).astype(np.uint16))
# .npy seeds: the dtypes and header versions the parser knows, and shapes it must refuse.
for name in ["i8", "u8", "f32", "f16", "bf16"]:
    open(f"{c}/npy/{name}.npy", "wb").write(open(f"{tmp}/{name}.npy", "rb").read())
save(f"{c}/npy/one_d.npy", np.arange(5, dtype=np.int8))
save(f"{c}/npy/three_d.npy", np.zeros((2, 2, 2), dtype=np.int8))
save(f"{c}/npy/i4.npy", np.zeros((2, 2), dtype=np.int32))
v1 = open(f"{tmp}/i8.npy", "rb").read()
hlen = v1[8] | v1[9] << 8
open(f"{c}/npy/v2.npy", "wb").write(v1[:6] + b"\x02\x00" + struct.pack("<I", hlen) + v1[10:])
# safetensors: 8-byte header length, JSON header, data.
def safetensors(path, tensors, meta=None):
    header, data = {}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if meta: header["__metadata__"] = meta
    h = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)
safetensors(f"{c}/safetensors/bf16.safetensors", [("emb.weight", "BF16", [12, 6], (f.view(np.uint32) >> 16).astype(np.uint16).tobytes())])
safetensors(f"{c}/safetensors/f32.safetensors", [("w", "F32", [12, 6], f.tobytes())], {"format": "pt"})
safetensors(f"{c}/safetensors/f16.safetensors", [("w", "F16", [12, 6], f.astype(np.float16).tobytes())])
safetensors(f"{c}/safetensors/i8_u8.safetensors", [("a", "I8", [24, 8], narrow.tobytes()), ("b", "U8", [2, 3], bytes(6))])
safetensors(f"{c}/safetensors/one.safetensors", [("a", "I8", [24, 8], narrow.tobytes())])
PY

# Coded tables (.ezt) and their code.json, one per method / value type / layout option.
n=0
encode() {  # input, then encode options
    local input="$1"; shift
    n=$((n + 1))
    "$EMBZIP" encode --input "$TMP/$input" --out "$TMP/out$n" -q --iterations 500 --mwu-iterations 20 "$@" >/dev/null
    local tag
    tag="$(echo "$input ${*}" | tr -c 'A-Za-z0-9_.\n' '_' | tr -s _ | sed 's/_$//')"
    cp "$TMP/out$n/table.ezt" "$C/ezt/$tag.ezt"
    cp "$TMP/out$n/table.ezt" "$C/ezt_crc/$tag.ezt"
    cp "$TMP/out$n/code.json" "$C/code_json/$tag.json"
}
for m in huffman8 balanced8 sa8 nibble4 nibble4x2 minimax8 minimax4; do encode i8.npy --method $m; done
encode i8.npy --method minimax8 --books 3 --overflow 0.1
encode i8.npy --method minimax4 --books 2
encode i8.npy --method sa8 --overflow 0.1 --max-code-len 12
encode u8.npy --method sa8
encode f32q.npy --method balanced8 --quantize symmetric
encode f32q.npy --method minimax8 --quantize rowwise
encode f32.npy --method minimax8 --quantize lossless
encode f16.npy --method nibble4x2 --quantize lossless
encode bf16.npy --method minimax8 --quantize lossless --dtype bf16 --overflow 0.1

# Simulator configs: the shipped presets inlined (no file references), and the .ini files.
python3 - "$ROOT" "$C" <<'PY'
import json, sys
root, c = sys.argv[1], sys.argv[2]
def preset(name): return json.load(open(f"{root}/sim_configs/{name}"))
table = {"rows": 100000, "dim": 64, "row_bits": 400}
json.dump({"memory": preset("ddr4_3200.json"), "table": table}, open(f"{c}/sim_json/ddr4.json", "w"), indent=1)
json.dump({"memory": preset("hbm2.json"), "table": dict(table, overflow_fraction=0.05, pitch="burst"),
           "decoder": {"lanes": 4, "arch": "canonical", "symbols_per_cycle": 1},
           "stream": {"distribution": "zipf", "batches": 2}}, open(f"{c}/sim_json/hbm2.json", "w"), indent=1)
for name in ["default.json", "declared_40m.json"]:
    tree = preset(name)
    for k, v in list(tree.items()):
        if isinstance(v, str) and v.endswith(".json"): tree[k] = preset(v.split("/")[-1])
    json.dump(tree, open(f"{c}/sim_json/{name}", "w"), indent=1)
open(f"{c}/sim_json/set.txt", "w").write("--set decoder.lanes=3\n--set memory.channels=2\n" + json.dumps({"memory": preset("ddr4_3200.json"), "table": table}))
PY
cp "$ROOT"/tests/systemc/data/*.ini "$C/sim_ini/"

# Round trip: header bytes (method, width, value type / layout, longest code) + values.
python3 - "$C" <<'PY'
import sys, random
c = sys.argv[1]
random.seed(3)
for i, head in enumerate([(0, 7, 0, 24), (2, 15, 6, 0), (5, 3, 80 + 20 * 3, 24), (6, 11, 4, 10),
                          (3, 0, 1, 24), (4, 63, 2 + 5, 24), (5, 5, 3 + 10, 24), (1, 9, 4 + 15, 0)]):
    body = bytes(random.choice([0, 1, 2, 255, 254, random.randrange(256)]) for _ in range(400))
    open(f"{c}/round_trip/seed{i}", "wb").write(bytes(head) + body)
PY
echo "corpus: $(find "$C" -type f | wc -l) files"
