#!/usr/bin/env bash
# Starts a one-node Slurm (munged, slurmctld, slurmd) with all state under one directory, without systemd.
# Idempotent: daemons already running from this base are left alone. Prints `export SLURM_CONF=...` on success.
#   scripts/slurm/start.sh [BASE]        (default BASE: /tmp/sampo-slurm)
# Needs root and Debian's munge slurmctld slurmd slurm-client libpmix-dev (scripts/install-deps.sh slurm).
set -euo pipefail
BASE=${1:-${SAMPO_SLURM_BASE:-/tmp/sampo-slurm}}
host=$(hostname -s)
cpus=${SAMPO_SLURM_CPUS:-4}
mkdir -p "$BASE"/{munge,etc,spool/ctld,spool/d,log,run}
chmod 0755 "$BASE/munge"

alive() {  # alive PIDFILE: the process exists and is not a zombie (kill -0 succeeds on zombies)
  [ -f "$1" ] || return 1
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -r "/proc/$pid/stat" ] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != "Z" ]
}

for exe in munged slurmctld slurmd; do
  command -v "$exe" >/dev/null || { echo "slurm/start.sh: $exe is not installed (run scripts/install-deps.sh slurm)" >&2; exit 3; }
done

if [ ! -f "$BASE/munge/munge.key" ]; then
  head -c 1024 /dev/urandom >"$BASE/munge/munge.key"
  chmod 0400 "$BASE/munge/munge.key"
fi
if ! alive "$BASE/run/munged.pid"; then
  munged --force --socket="$BASE/munge/munge.socket.2" --key-file="$BASE/munge/munge.key" \
    --pid-file="$BASE/run/munged.pid" --log-file="$BASE/log/munged.log" --seed-file="$BASE/munge/seed"
fi

cat >"$BASE/etc/slurm.conf" <<CONF
ClusterName=sampo
SlurmctldHost=$host(127.0.0.1)
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=4096 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$BASE/munge/munge.socket.2,cred_expire=10
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$BASE/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
MpiDefault=pmix
ReturnToService=2
KillWait=10
MinJobAge=4
JobRequeue=1
RequeueExit=85
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
DependencyParameters=kill_invalid_depend
StateSaveLocation=$BASE/spool/ctld
SlurmdSpoolDir=$BASE/spool/d
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
SlurmctldPort=${SAMPO_SLURM_PORT:-6817}
SlurmdPort=$(( ${SAMPO_SLURM_PORT:-6817} + 1 ))
CONF
export SLURM_CONF="$BASE/etc/slurm.conf"
alive "$BASE/run/slurmctld.pid" || slurmctld -f "$SLURM_CONF"
alive "$BASE/run/slurmd.pid" || slurmd -f "$SLURM_CONF"

# Wait until the node accepts jobs.
for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc"; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "slurm/start.sh: Slurm did not become ready; see $BASE/log/" >&2
sinfo 2>&1 | tail -3 >&2 || true
exit 4
