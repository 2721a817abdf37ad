#!/usr/bin/env bash
# A real Slurm cluster on this one machine, for tests and for trying the Slurm backend:
# munged, slurmctld and four slurmd daemons (nodes n1-n4, 4 CPUs, 4000 MB and 2 declared GPUs
# each). Every file it writes lives under one directory, never in /etc.
#
#   slurm/local-cluster.sh up|down|status|env [DIR]
#
# DIR defaults to $SLIPWAY_SLURM_DIR, else build/slurm-cluster in the source tree.
# `up` is idempotent; `down` leaves no daemon behind; `env` prints what a shell needs:
#   eval "$(slurm/local-cluster.sh env)"; sinfo
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-status}
dir=${2:-${SLIPWAY_SLURM_DIR:-$here/build/slurm-cluster}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/etc/slurm.conf
nodes=(n1 n2 n3 n4)
ctld_port=${SLIPWAY_SLURMCTLD_PORT:-16817}
first_slurmd_port=${SLIPWAY_SLURMD_PORT:-17001}

die() { echo "local-cluster: $*" >&2; exit 1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
  mkdir -p "$dir"/{etc,munge,spool/ctld,log,run}
  for n in "${nodes[@]}"; do mkdir -p "$dir/spool/$n" "$dir/tmp/$n"; done
  local host last_port
  host=$(hostname)
  last_port=$((first_slurmd_port + ${#nodes[@]} - 1))
  cat > "$conf" <<CONF
# Written by slipway's slurm/local-cluster.sh: ${#nodes[@]} slurmd on one host.
ClusterName=slipway
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
# Per-node TmpFS: without it, PMIx steps that span nodes collide in one directory.
TmpFS=$dir/tmp/%n
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Lets each slurmd declare more CPUs than this machine has.
SlurmdParameters=config_overrides
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmdTimeout=60
GresTypes=gpu
NodeName=n[1-${#nodes[@]}] NodeHostname=$host NodeAddr=127.0.0.1 Port=[$first_slurmd_port-$last_port] CPUs=4 RealMemory=4000 Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=n[1-${#nodes[@]}] Default=YES MaxTime=INFINITE State=UP
CONF
  # Declared GPUs with no device files: Slurm schedules and counts them; nothing binds to them.
  cat > "$dir/etc/gres.conf" <<CONF
AutoDetect=off
NodeName=n[1-${#nodes[@]}] Name=gpu File=/dev/null
NodeName=n[1-${#nodes[@]}] Name=gpu File=/dev/zero
CONF
}

start_munge() {
  pid_alive "$dir/run/munged.pid" && return 0
  command -v munged > /dev/null || die "munged is not installed: apt-get install munge"
  if [ ! -f "$dir/munge/munge.key" ]; then
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 0400 "$dir/munge/munge.key"
  fi
  chmod 0700 "$dir/munge"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed"
}

wait_idle() {
  local i
  for i in $(seq 1 150); do
    local idle
    idle=$(SLURM_CONF=$conf sinfo -h -N -o "%N %T" 2>/dev/null | grep -c -E " (idle|mixed|allocated)$" || true)
    [ "$idle" -eq "${#nodes[@]}" ] && return 0
    sleep 0.2
  done
  SLURM_CONF=$conf sinfo -N 2>&1 >&2 || true
  die "the nodes did not become idle in 30 s; see $dir/log/"
}

up() {
  command -v slurmctld > /dev/null || die "slurmctld is not installed: apt-get install slurm-wlm munge"
  write_config
  start_munge
  export SLURM_CONF=$conf
  pid_alive "$dir/run/slurmctld.pid" || slurmctld -f "$conf" ||
    die "slurmctld did not start; see $dir/log/slurmctld.log"
  for n in "${nodes[@]}"; do
    pid_alive "$dir/run/slurmd-$n.pid" || slurmd -N "$n" -f "$conf" ||
      die "slurmd $n did not start; see $dir/log/slurmd-$n.log"
  done
  wait_idle
  echo "local-cluster: up (${nodes[*]}) in $dir"
}

down() {
  local f pids=()
  for f in "$dir"/run/slurmd-*.pid "$dir/run/slurmctld.pid" "$dir/run/munged.pid"; do
    [ -f "$f" ] || continue
    if kill -0 "$(cat "$f")" 2>/dev/null; then
      pids+=("$(cat "$f")")
      kill "$(cat "$f")" 2>/dev/null || true
    fi
  done
  local i p alive
  for i in $(seq 1 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # Job steps left by a killed slurmd (slurmstepd) would otherwise outlive the cluster.
  pkill -9 -f "slurmstepd.*$dir" 2>/dev/null || true
  rm -f "$dir"/run/*.pid
  echo "local-cluster: down"
}

status() {
  local up=0 f
  for f in "$dir/run/slurmctld.pid" "$dir"/run/slurmd-*.pid; do pid_alive "$f" && up=$((up + 1)); done
  if [ $up -eq 0 ]; then echo "local-cluster: down"; return 1; fi
  SLURM_CONF=$conf sinfo -N
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) die "usage: $0 up|down|status|env [DIR]" ;;
esac
