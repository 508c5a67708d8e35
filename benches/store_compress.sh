#!/usr/bin/env bash
# Benchmark: making a compressed layer from a 1 GiB tar (`layerkit import`,
# parallel gzip and zstd) against `pigz -6` (and `zstd -3 -T0`) on the same
# data, each writing its output to the same disk. Prints times, the ratio
# to pigz, peak memory, output sizes, and checks that the layer reads back
# with `gzip -d` (same bytes) and that skopeo reads the image.
#
#   benches/store_compress.sh      (data cached in target/bench-store/)
. "$(dirname "$0")/common.sh"
data="$root/target/bench-store"
mkdir -p "$data"
build_cli

real_content_tar "$data/layer.tar"
size=$(stat -c %s "$data/layer.tar")
echo "input: $data/layer.tar, $size bytes"
cat "$data/layer.tar" > /dev/null   # warm the page cache for everyone

t() { # name, command… → prints "name wall-seconds peakKB cpu-seconds"
  local name=$1; shift
  echo "$name $(measure "$@")"
}

export LAYERKIT_ROOT="$data/store-compress"
rm -rf "$LAYERKIT_ROOT"
read -r _ pigz_s pigz_kb pigz_cpu < <(t pigz sh -c "pigz -6 -c '$data/layer.tar' > '$data/out.pigz.gz'")
read -r _ gz_s gz_kb gz_cpu < <(t lk-gzip "$lk" import --compression gzip "$data/layer.tar" bench:gzip)
read -r _ zs_s zs_kb zs_cpu < <(t lk-zstd "$lk" import --compression zstd "$data/layer.tar" bench:zstd)
read -r _ zcli_s zcli_kb zcli_cpu < <(t zstd sh -c "zstd -3 -T0 -q -c '$data/layer.tar' > '$data/out.zst'")

blob() { # tag → path of its layer blob
  local m
  m=$("$lk" images --no-trunc --format '{{.Digest}}' "$1")
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"].split(":")[1])' \
    "$LAYERKIT_ROOT/blobs/sha256/${m#sha256:}"
}
gz_blob="$LAYERKIT_ROOT/blobs/sha256/$(blob bench:gzip)"
zs_blob="$LAYERKIT_ROOT/blobs/sha256/$(blob bench:zstd)"

# Reads back: gzip -d and zstd -d give the input bytes; skopeo reads the image.
want=$(sha256sum < "$data/layer.tar" | cut -d' ' -f1)
got=$(gzip -dc "$gz_blob" | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "gzip -d of our layer differs from the input" >&2; exit 1; }
got=$(zstd -dc "$zs_blob" | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "zstd -d of our layer differs from the input" >&2; exit 1; }
skopeo inspect "oci:$LAYERKIT_ROOT:docker.io/library/bench:gzip" >/dev/null
skopeo inspect "oci:$LAYERKIT_ROOT:docker.io/library/bench:zstd" >/dev/null
echo "read back: gzip -d and zstd -d give the input; skopeo inspects both images"

# On a shared machine wall time depends on what else runs; CPU seconds
# (user + sys) are what the work costs, and equal wall time × 2 on an idle
# 2-core machine when both cores are kept busy.
printf '%-24s %8s %8s %8s %14s %9s %9s\n' tool wall-s cpu-s peak-MB output-bytes wall-vs cpu-vs
row() { printf '%-24s %8s %8s %8s %14s %9s %9s\n' "$1" "$2" "$5" "$(( $3 / 1024 ))" "$4" \
  "$(python3 -c "print(f'{$pigz_s/$2:.2f}x')")" "$(python3 -c "print(f'{$pigz_cpu/$5:.2f}x')")"; }
row "pigz -6 (2 threads)" "$pigz_s" "$pigz_kb" "$(stat -c %s "$data/out.pigz.gz")" "$pigz_cpu"
row "layerkit import gzip" "$gz_s" "$gz_kb" "$(stat -c %s "$gz_blob")" "$gz_cpu"
row "layerkit import zstd" "$zs_s" "$zs_kb" "$(stat -c %s "$zs_blob")" "$zs_cpu"
row "zstd -3 -T0" "$zcli_s" "$zcli_kb" "$(stat -c %s "$data/out.zst")" "$zcli_cpu"
rm -f "$data/out.pigz.gz" "$data/out.zst"
