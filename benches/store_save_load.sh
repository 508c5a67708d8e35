#!/usr/bin/env bash
# Benchmark: `layerkit save` and `layerkit load` of a 1 GiB image against
# `cp` of the same bytes, on the same disk with a warm page cache — in the
# same run, interleaved round by round (a change in the machine's load then
# hits every contender alike), with medians, CPU times (user + sys), peak
# memory (/usr/bin/time) and the load average.
#
# Two images of the same 1 GiB layer (/usr/lib/x86_64-linux-gnu and
# /usr/lib/chromium of this machine, tarred with sorted names):
#   image.tar     the layer uncompressed, as `docker save` writes it;
#   image-gz.tar  the layer gzip'd (layerkit import), as registries and
#                 oci-archives hold them: loading it inflates the layer to
#                 check its diff id, so its floor is inflate speed.
# Yardsticks: `openssl dgst -sha256` (one sha256 pass, what checking the
# uncompressed image costs at the least), `igzip -dc` (Intel ISA-L, the
# fastest gzip inflater; Debian package isal) or `pigz -dc` on the gzip'd
# layer alone. `load` puts every blob on the disk before naming it (it
# starts each file's write-back while writing it, and fdatasyncs it before
# the rename), as a store must; `cp` leaves its copy in the page cache. So
# load is compared with "cp + fsync" (cp, then `sync FILE`: the same bytes
# on the disk), and also, for the record, with plain cp.
#
# The disk is conditioned first (common.sh: condition_disk) and one round
# runs untimed before the timed ones.
#
#   benches/store_save_load.sh [ROUNDS]   (default 11; data cached in target/bench-store/)
#   NICE=-20 benches/store_save_load.sh   (see common.sh)
. "$(dirname "$0")/common.sh"
data="$root/target/bench-store"
rounds=${1:-11}
mkdir -p "$data"
build_cli
real_content_tar "$data/layer.tar"
src="$data/store-src"
if [ ! -d "$src" ]; then
  LAYERKIT_ROOT="$src" "$lk" import -q --compression none "$data/layer.tar" big:1 >/dev/null
fi
srcgz="$data/store-src-gz"
if [ ! -d "$srcgz" ]; then
  LAYERKIT_ROOT="$srcgz" "$lk" import -q --compression gzip "$data/layer.tar" big:gz >/dev/null
fi
LAYERKIT_ROOT="$src" "$lk" save -o "$data/image.tar" big:1
LAYERKIT_ROOT="$srcgz" "$lk" save -o "$data/image-gz.tar" big:gz
gzblob=$(python3 - "$srcgz" <<'PY'
import json, sys
root = sys.argv[1]
idx = json.load(open(f"{root}/index.json"))
m = idx["manifests"][0]["digest"].split(":")[1]
man = json.load(open(f"{root}/blobs/sha256/{m}"))
print(f"{root}/blobs/sha256/" + man["layers"][0]["digest"].split(":")[1])
PY
)
cat "$data/image.tar" "$data/image-gz.tar" "$gzblob" > /dev/null # warm the page cache

inflate="pigz -dc"
command -v igzip >/dev/null && inflate="igzip -dc"
d=$data
# Loads go into one store that stays (as a user's does): each round's
# preparation removes the image loaded before (rmi deletes its blobs), so
# the store's directories exist, as cp's destination directory does. (A
# store made anew each round puts its new directories on other parts of
# the disk, where this VM's first writes cost ~5x: see condition_disk.)
unload() {
  for ref in big:1 big:gz; do
    LAYERKIT_ROOT="$d/store-dst" "$lk" rmi -f "$ref" >/dev/null 2>&1 || true
  done
}
rm -rf "$d/store-dst"
# name|preparation (untimed)|command; each round runs them all once, in order.
runs=(
  "cp|rm -f $d/copy.tar|cp $d/image.tar $d/copy.tar"
  "layerkit save|rm -f $d/saved.tar|env LAYERKIT_ROOT=$src $lk save -o $d/saved.tar big:1"
  "layerkit load|unload|env LAYERKIT_ROOT=$d/store-dst $lk load -q -i $d/image.tar"
  "layerkit load (pipe)|unload|sh -c 'cat $d/image.tar | LAYERKIT_ROOT=$d/store-dst $lk load -q'"
  "openssl dgst -sha256|true|openssl dgst -sha256 $d/image.tar"
  "cp + fsync|rm -f $d/copy.tar|sh -c 'cp $d/image.tar $d/copy.tar && sync $d/copy.tar'"
  "cp (gzip'd)|rm -f $d/copy.tar|cp $d/image-gz.tar $d/copy.tar"
  "layerkit load (gzip'd)|unload|env LAYERKIT_ROOT=$d/store-dst $lk load -q -i $d/image-gz.tar"
  "$inflate (layer)|true|$inflate $gzblob"
)

condition_disk "$data" 8
log="$data/times-save-load.txt"
interleave "$log" "$rounds" 1
rm -rf "$d/store-dst" "$d/copy.tar" "$d/saved.tar"

echo
echo "image.tar: $(stat -c %s "$data/image.tar") bytes (layer uncompressed); image-gz.tar: $(stat -c %s "$data/image-gz.tar") bytes (layer gzip'd, $(stat -c %s "$data/layer.tar") bytes inflated)"
loads_line "$rounds"
python3 - "$log" <<'PY'
import sys
sys.path.insert(0, "benches")
from timings import read
rows, med, cpu, best = read(sys.argv[1])
base = {n: ("cp (gzip'd)" if "gzip" in n or "layer)" in n
           else "cp + fsync" if "fsync" in n or n.startswith("layerkit load") else "cp") for n in rows}
print(f"{'':26} {'median s':>8} {'best s':>7} {'CPU s':>6} {'peak MB':>7} {'vs cp':>6}  every run (wall s)")
for n, v in rows.items():
    walls = " ".join(f"{x[0]:.2f}" for x in v)
    peak = max(x[2] for x in v) / 1024
    print(f"{n:26} {med[n]:8.2f} {min(x[0] for x in v):7.2f} {cpu[n]:6.2f} {peak:7.1f} {med[n] / med[base[n]]:5.2f}x  {walls}")
print()
for n in ["layerkit save", "layerkit load", "layerkit load (pipe)", "layerkit load (gzip'd)"]:
    if n in med:
        b = base[n]
        print(f"{n} / {b}: {med[n] / med[b]:.2f}x (medians), CPU {cpu[n]:.2f} s; peak {max(x[2] for x in rows[n]) / 1024:.1f} MB   goal <= 1.5x, < 100 MB")
print(f"layerkit load / cp (page cache only, no fsync): {med['layerkit load'] / med['cp']:.2f}x; "
      f"one sha256 pass (openssl) / cp: {med['openssl dgst -sha256'] / med['cp']:.2f}x, the floor of a checked load")
PY
