#!/usr/bin/env bash
# Benchmark: making a compressed layer from a 1 GiB tar (`layerkit import`,
# parallel gzip and zstd) against `pigz -6` (and `zstd -3 -T0`) on the same
# data, each writing its output to the same disk — in the same run,
# interleaved round by round (a change in the machine's load then hits
# every contender alike), with medians, CPU times (user + sys), peak memory
# (/usr/bin/time), output sizes and the load average. Checks that the
# layers read back with `gzip -d` / `zstd -d` (same bytes as the input)
# and that skopeo reads the images.
#
#   benches/store_compress.sh [ROUNDS]   (default 5; data cached in target/bench-store/)
#
# ALT_LAYERKIT=/path/to/layerkit adds another build as one more contender
# ("alt import gzip"), to compare two versions in the same run.
. "$(dirname "$0")/common.sh"
data="$root/target/bench-store"
rounds=${1:-5}
mkdir -p "$data"
build_cli

real_content_tar "$data/layer.tar"
size=$(stat -c %s "$data/layer.tar")
cat "$data/layer.tar" > /dev/null   # warm the page cache for everyone

d=$data
# name|preparation|command; each round runs them all once, in order.
runs=(
  "pigz -6|rm -rf $d/out.pigz.gz|sh -c 'pigz -6 -c $d/layer.tar > $d/out.pigz.gz'"
  "layerkit import gzip|rm -rf $d/store-gzip|env LAYERKIT_ROOT=$d/store-gzip $lk import -q --compression gzip $d/layer.tar bench:gzip"
  "layerkit import zstd|rm -rf $d/store-zstd|env LAYERKIT_ROOT=$d/store-zstd $lk import -q --compression zstd $d/layer.tar bench:zstd"
  "zstd -3 -T0|rm -rf $d/out.zst|sh -c 'zstd -3 -T0 -q -c $d/layer.tar > $d/out.zst'"
)
if [ -n "${ALT_LAYERKIT:-}" ]; then
  runs+=("alt import gzip|rm -rf $d/store-alt|env LAYERKIT_ROOT=$d/store-alt $ALT_LAYERKIT import -q --compression gzip $d/layer.tar bench:gzip")
fi

log="$data/times-compress.txt"
interleave "$log" "$rounds"

blob() { # store, tag → path of its layer blob
  local m
  m=$(LAYERKIT_ROOT=$1 "$lk" images --no-trunc --format '{{.Digest}}' "$2")
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"].split(":")[1])' \
    "$1/blobs/sha256/${m#sha256:}" | sed "s|^|$1/blobs/sha256/|"
}
gz_blob=$(blob "$d/store-gzip" bench:gzip)
zs_blob=$(blob "$d/store-zstd" bench:zstd)

# Reads back: gzip -d and zstd -d give the input bytes; skopeo reads the image.
want=$(sha256sum < "$data/layer.tar" | cut -d' ' -f1)
got=$(gzip -dc "$gz_blob" | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "gzip -d of our layer differs from the input" >&2; exit 1; }
got=$(zstd -dc "$zs_blob" | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "zstd -d of our layer differs from the input" >&2; exit 1; }
skopeo inspect "oci:$d/store-gzip:docker.io/library/bench:gzip" >/dev/null
skopeo inspect "oci:$d/store-zstd:docker.io/library/bench:zstd" >/dev/null
echo "read back: gzip -d and zstd -d give the input; skopeo inspects both images"

sizes="$data/sizes.txt"
{
  echo "pigz -6|$(stat -c %s "$d/out.pigz.gz")"
  echo "layerkit import gzip|$(stat -c %s "$gz_blob")"
  echo "layerkit import zstd|$(stat -c %s "$zs_blob")"
  echo "zstd -3 -T0|$(stat -c %s "$d/out.zst")"
  if [ -n "${ALT_LAYERKIT:-}" ]; then
    echo "alt import gzip|$(stat -c %s "$(blob "$d/store-alt" bench:gzip)")"
  fi
} > "$sizes"

echo
echo "input: $data/layer.tar, $size bytes"
loads_line "$rounds"
python3 - "$log" "$sizes" <<'PY'
import sys
sys.path.insert(0, "benches")
from timings import read
rows, med, cpu, best = read(sys.argv[1])
sizes = dict(l.rstrip("\n").split("|") for l in open(sys.argv[2]))
p = "pigz -6"
print(f"{'':22} {'median s':>8} {'best s':>7} {'CPU s':>6} {'peak MB':>7} {'output bytes':>13} {'vs pigz':>7} {'CPU vs':>6}  every run (wall s)")
for n, v in rows.items():
    walls = " ".join(f"{x[0]:.2f}" for x in v)
    peak = max(x[2] for x in v) / 1024
    print(f"{n:22} {med[n]:8.2f} {min(x[0] for x in v):7.2f} {cpu[n]:6.2f} {peak:7.1f} {int(sizes[n]):13,d} "
          f"{med[p] / med[n]:6.2f}x {cpu[p] / cpu[n]:5.2f}x  {walls}")
print()
for n in ["layerkit import gzip", "alt import gzip"]:
    if n in med:
        print(f"{p} / {n}: {med[p] / med[n]:.2f}x faster (medians), {cpu[p] / cpu[n]:.2f}x less CPU; "
              f"output {int(sizes[n]) / int(sizes[p]) - 1:+.2%} vs pigz   goal >= 1.5x")
PY
rm -f "$d/out.pigz.gz" "$d/out.zst"
