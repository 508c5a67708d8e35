# Sourced by the benchmark scripts, first thing:
#
#   . "$(dirname "$0")/common.sh"
#
# Strict mode, $root (the project, also the working directory) and the
# helpers more than one benchmark needs.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# NICE=-20 (as root) runs every contender `interleave` times at that
# priority: on a shared machine, the closest to an idle one (other jobs
# wait while each runs).
nice=
[ -n "${NICE:-}" ] && nice="nice -n $NICE"

# Builds the release CLI (quietly) and sets $lk to it.
build_cli() {
  cargo build -q --release --features cli
  lk="$root/target/release/layerkit"
}

# Builds the library for wasm32 (release) and wraps it for Node with
# wasm-bindgen into DIR (DIR/layerkit.js + layerkit_bg.wasm).
build_wasm_node() {
  cargo build -q --release --target wasm32-unknown-unknown --lib
  wasm-bindgen --target nodejs --out-dir "$1" "$root/target/wasm32-unknown-unknown/release/layerkit.wasm"
}

# FILE: ~1 GiB of real image content (shared libraries and a browser
# build) as one tar, made once.
real_content_tar() {
  [ -f "$1" ] && return
  tar --sort=name --mtime=@1700000000 --owner=0 --group=0 --numeric-owner \
    -cf "$1" -C / usr/lib/x86_64-linux-gnu usr/lib/chromium 2>/dev/null || true
}

# Runs a command (its output dropped) under GNU time; prints
# "wall-seconds peak-KB cpu-seconds" (cpu = user + sys).
measure() {
  local out e m u s
  out=$( { /usr/bin/time -f "%e %M %U %S" "$@" >/dev/null; } 2>&1 | tail -1)
  read -r e m u s <<<"$out"
  echo "$e $m $(python3 -c "print(round($u+$s, 2))")"
}

# Writes GIB GiB to the disk under DIR (fsync'd) and deletes it, once per
# boot: on this VM's disk the first write to a block costs ~5x a rewrite
# (1 GiB + fsync: 2.7 s to fresh blocks, 0.45-0.6 s to blocks written
# before), so without this, whichever contender is first to land on fresh
# blocks loses by seconds. After it, the files the rounds make reuse
# written blocks, as on a disk in use.
condition_disk() {
  local dir=$1 gib=$2 mark
  mark="$dir/.conditioned-$(cut -d' ' -f1 /proc/sys/kernel/random/boot_id)"
  [ -f "$mark" ] && return
  echo "conditioning the disk: writing and deleting $gib GiB under $dir …" >&2
  dd if=/dev/zero of="$dir/.condition" bs=1M count=$((gib * 1024)) conv=fsync status=none
  rm -f "$dir/.condition" "$dir"/.conditioned-*
  sync
  : > "$mark"
}

# Runs every "name|preparation|command" of the array `runs` once per round,
# in order, for ROUNDS rounds — interleaved, so a change in the machine's
# load hits every contender alike. The preparation runs untimed, then
# `sync`, then the command under GNU time (with $nice in front, if set);
# appends "name|wall user sys peak-KB" lines to LOG (emptied first) and
# sets `loads` to the 1-minute load average at each round's start and at
# the end. WARMUP (optional, default 0) rounds run first, untimed.
interleave() {
  local log=$1 rounds=$2 warmup=${3:-0} r run name prep cmd
  for ((r = 1; r <= warmup; r++)); do
    for run in "${runs[@]}"; do
      IFS='|' read -r name prep cmd <<<"$run"
      eval "$prep"
      eval "$cmd" > /dev/null
    done
  done
  : > "$log"
  loads=()
  for ((r = 1; r <= rounds; r++)); do
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    for run in "${runs[@]}"; do
      IFS='|' read -r name prep cmd <<<"$run"
      eval "$prep"
      sync
      eval "/usr/bin/time -f '%e %U %S %M' -o $log.time ${nice:-} $cmd" > /dev/null
      echo "$name|$(tail -1 "$log.time")" >> "$log"
    done
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
}

# Prints how many rounds ran and the load averages `interleave` saw.
loads_line() {
  echo "$1 rounds, interleaved; 1-min load average at the start of each round and at the end: ${loads[*]} ($(nproc) cores)"
}

# Seconds since the epoch, to the nanosecond.
now() { date +%s.%N; }

# The median of the numbers on standard input, one per line.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
