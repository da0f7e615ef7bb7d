#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real one-node Slurm cluster on this machine, for trying embzip-sweep --emit-slurm (and its test).
#   scripts/slurm_local.sh start [STATE_DIR]   munged + slurmctld + slurmd; waits until the node is idle
#   scripts/slurm_local.sh stop  [STATE_DIR]   stops what start started (by pid files)
# STATE_DIR (default /tmp/embzip-slurm) holds slurm.conf, state, spool, logs and pid files. Then:
#   export SLURM_CONF=STATE_DIR/slurm.conf; sbatch ...; squeue; sinfo
# Needs root and the Debian packages slurm-wlm and munge (installed here when missing).
# Settings checked on Debian 12 (see /work/shared/STYLE.md): munged runs as root with --force
# (/dev/null may not be writable by the munge user), SlurmUser=root, proctrack/linuxproc,
# task/none, select/cons_tres; the node turns idle about 20 s after slurmd starts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMD="${1:-}"
STATE="${2:-/tmp/embzip-slurm}"
usage() { echo "usage: scripts/slurm_local.sh start|stop [STATE_DIR]" >&2; exit 2; }

stop_pidfile() {
    local f="$1"
    [ -f "$f" ] || return 0
    local pid
    pid="$(cat "$f")"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$f"
}

case "$CMD" in
start)
    [ "$(id -u)" -eq 0 ] || { echo "slurm_local: must run as root (slurmd and munged run as root here)" >&2; exit 1; }
    "$ROOT/scripts/install_deps.sh" slurm-wlm munge
    mkdir -p "$STATE"/{state,spool,log}
    STATE="$(cd "$STATE" && pwd)"
    # munge: one daemon per machine; start it only if none answers, and remember that we did.
    if ! munge -n </dev/null >/dev/null 2>&1; then
        mkdir -p /run/munge /var/lib/munge /var/log/munge /etc/munge
        [ -s /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
        munged --force --pid-file "$STATE/munged.pid"
        for _ in $(seq 50); do munge -n </dev/null >/dev/null 2>&1 && break; sleep 0.1; done
        munge -n </dev/null >/dev/null || { echo "slurm_local: munged did not start" >&2; exit 1; }
    fi
    HOST="$(hostname -s)"
    cat > "$STATE/slurm.conf" <<CONF
ClusterName=embzip-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
NodeName=$HOST CPUs=$(nproc) RealMemory=20000 State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$STATE/slurm.conf"
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    echo "slurm_local: waiting for node $HOST to turn idle (~20 s)" >&2
    for _ in $(seq 120); do
        if sinfo -h -N -o '%T' 2>/dev/null | grep -q '^idle'; then
            echo "slurm_local: up; export SLURM_CONF=$SLURM_CONF" >&2
            exit 0
        fi
        sleep 1
    done
    echo "slurm_local: node not idle after 120 s; logs in $STATE/log" >&2
    sinfo -N >&2 || true
    exit 1
    ;;
stop)
    stop_pidfile "$STATE/slurmd.pid"
    stop_pidfile "$STATE/slurmctld.pid"
    stop_pidfile "$STATE/munged.pid"
    echo "slurm_local: stopped (state in $STATE)" >&2
    ;;
*) usage ;;
esac
