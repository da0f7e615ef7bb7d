#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Proves that a change to the simulator's speed left its results alone: runs two embzip-sim
# binaries on the same set of configs and compares the JSON they write (--out: every stat and
# the resolved config) byte for byte.
#
#   scripts/sim_equivalence.sh OLD_BIN NEW_BIN [CODED_DIR]
#
# CODED_DIR: a coded table for default.json (default build/out/default, as default.json expects;
# `embzip encode --input data/glove100_int8_50k.npy --method best --out build/out/default`).
# Covers every sim_configs/*.json and studies/*.json that runs in seconds, with and without
# baselines, DDR4 (2 ranks) and HBM2 (pseudo-channels, dual command bus), open and closed page,
# refresh on and off, uniform/Zipf/sequential streams, the tiered and cached configs, the
# memory-only run, and the where_it_pays sweep's widest bf16 rows. Exit 0 when all are equal.
set -euo pipefail
if [[ $# -lt 2 ]]; then
    echo "usage: $0 OLD_BIN NEW_BIN [CODED_DIR]" >&2
    exit 2
fi
old=$1 new=$2
root=$(cd "$(dirname "$0")/.." && pwd)
coded=${3:-$root/build/out/default}
for b in "$old" "$new"; do
    [[ -x $b ]] || { echo "$0: not an executable: $b" >&2; exit 2; }
done
[[ -f $coded/table.ezt ]] || { echo "$0: no table.ezt in $coded (see the header)" >&2; exit 2; }
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

c=sim_configs
d="--config $c/default.json --set table.coded_dir=$coded"
# The where_it_pays point with 8 KB bf16 rows, 30 % saving (sweep/README.md).
wip="--config $c/declared_40m.json --set table.rows=400000 --set table.overflow_fraction=0
     --set decoder.lanes=512 --set stream.max_outstanding=1024 --set table.dim=8192
     --set table.row_bits=45875 --set stream.batches=2"
cases=(
    "$d"
    "$d --no-baseline"
    "$d --set memory=$c/hbm2.json"
    "$d --set memory.page_policy=closed"
    "$d --set memory=$c/hbm2.json --set memory.page_policy=closed"
    "$d --set memory.refresh=false"
    "$d --set stream.distribution=zipf --set stream.max_outstanding=16"
    "$d --set stream.distribution=sequential --set memory.read_merging=false"
    "$d --set memory.row_hit_cap=1 --set memory.cmd_queue_size=2 --set memory.queue_size=4"
    "$d --set memory.ranks=4 --set memory.channels=2 --set memory.address_mapping=rorabgbachco"
    "$d --set memory=$c/hbm2.json --set memory.pseudo_channels=1
        --set memory.dual_command_bus=false"
    "$d --memory-only"
    "$d --memory-only --set memory=$c/hbm2.json"
    "--config $c/declared_40m.json"
    "--config $c/declared_40m.json --set memory=$c/hbm2.json --no-baseline"
    "--config $c/declared_40m.json --set memory.page_policy=closed --set table.pitch=burst"
    "--config $c/mlperf_dlrm.json"
    "$wip"
    "$wip --set table.pitch=burst --set memory.page_policy=closed"
    "$wip --set memory=$c/hbm2.json"
)
for f in $c/studies/*.json; do cases+=("--config $f"); done

fail=0
for i in "${!cases[@]}"; do
    args=${cases[$i]}
    # A config that is refused (a study showing what does not fit) must be refused alike.
    for v in old new; do
        rm -f "$tmp/$v.json"
        # shellcheck disable=SC2086  # the case is a word list
        if ! "${!v}" $args -q --out "$tmp/$v.json" >/dev/null 2>"$tmp/$v.err"; then
            { echo "exit non-zero"; tail -3 "$tmp/$v.err"; } >"$tmp/$v.json"
        fi
    done
    h_old=$(sha256sum <"$tmp/old.json" | cut -c1-16)
    h_new=$(sha256sum <"$tmp/new.json" | cut -c1-16)
    if [[ $h_old == "$h_new" ]]; then
        echo "same  $h_new  $(echo $args | sed "s|$root/||g")"
    else
        echo "DIFF  $h_old $h_new  $(echo $args | sed "s|$root/||g")"
        diff "$tmp/old.json" "$tmp/new.json" | head -12 || true
        fail=1
    fi
done
[[ $fail == 0 ]] && echo "all ${#cases[@]} configs: identical results" || echo "results differ" >&2
exit $fail
