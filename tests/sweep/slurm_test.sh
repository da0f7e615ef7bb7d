#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Slurm array + merge equal to a local run, on a real one-node Slurm (scripts/slurm_local.sh).
# Usage: slurm_test.sh EMBZIP_SWEEP SPEC OUT_DIR. Exit 77 (ctest: skipped) when not root or
# Slurm/munge are not installed, with the reason on stdout.
set -euo pipefail
SWEEP="$1" SPEC="$2" OUT="$3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then echo "SKIPPED: needs root to start slurmd and munged"; exit 77; fi
for tool in munged slurmctld slurmd sbatch sinfo; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not installed (apt-get install slurm-wlm munge)"; exit 77; }
done
# One cluster at a time on this machine (fixed ports): wait for any other run of this test.
exec 9>/tmp/embzip-slurm-test.lock
flock -w 900 9
STATE="$(mktemp -d /tmp/embzip-slurm-test.XXXXXX)"
cleanup() { "$ROOT/scripts/slurm_local.sh" stop "$STATE" || true; rm -rf "$STATE"; }
trap cleanup EXIT
"$ROOT/scripts/slurm_local.sh" start "$STATE"
export SLURM_CONF="$STATE/slurm.conf"

rm -rf "$OUT"
mkdir -p "$OUT"
"$SWEEP" "$SPEC" --out "$OUT/slurm" --emit-slurm --chunks 3
timeout 600 sbatch --wait "$OUT/slurm/sweep.sbatch"
"$SWEEP" --merge "$OUT/slurm"
"$SWEEP" "$SPEC" --out "$OUT/local" -q
/usr/bin/python3 - "$OUT/slurm/results.jsonl" "$OUT/local/results.jsonl" <<'PY'
import json, sys
def rows(path):
    out = []
    for line in open(path):
        r = json.loads(line)
        r.pop("wall_s"); r.pop("cached")
        out.append(r)
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert len(a) == len(b) and len(a) > 0, (len(a), len(b))
for x, y in zip(a, b):
    assert x == y, "point %s differs:\n%s\n%s" % (x["point"], x, y)
print("slurm array: %d points merged, equal to the local run" % len(a))
PY
