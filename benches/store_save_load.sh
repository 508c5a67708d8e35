#!/usr/bin/env bash
# Benchmark: `layerkit save` and `layerkit load` of a 1 GiB image (one
# uncompressed layer, as `docker save` moves them) against `cp` of the same
# bytes, all on the same disk with a warm page cache. Best of 3 runs each;
# peak memory from /usr/bin/time. Prints the ratios to cp.
#
#   benches/store_save_load.sh     (data cached in target/bench-store/)
. "$(dirname "$0")/common.sh"
data="$root/target/bench-store"
mkdir -p "$data"
build_cli
real_content_tar "$data/layer.tar"
src="$data/store-src"
if [ ! -d "$src" ]; then
  LAYERKIT_ROOT="$src" "$lk" import --compression none "$data/layer.tar" big:1 >/dev/null
fi
LAYERKIT_ROOT="$src" "$lk" save -o "$data/image.tar" big:1
size=$(stat -c %s "$data/image.tar")
echo "image: $size bytes in one archive"
cat "$data/image.tar" "$data/layer.tar" > /dev/null

best() { # command… → "seconds peakKB cpu-seconds" of the fastest of 3 runs
  local best_s=999999 best_kb=0 best_cpu=0 s kb cpu
  for _ in 1 2 3; do
    rm -rf "$data/store-dst" "$data/copy.tar" "$data/saved.tar"
    sync
    read -r s kb cpu < <(measure "$@")
    if python3 -c "import sys; sys.exit(0 if $s < $best_s else 1)"; then
      best_s=$s; best_kb=$kb; best_cpu=$cpu
    fi
  done
  echo "$best_s $best_kb $best_cpu"
}

read -r cp_s cp_kb cp_cpu < <(best cp "$data/image.tar" "$data/copy.tar")
read -r save_s save_kb save_cpu < <(best env LAYERKIT_ROOT="$src" "$lk" save -o "$data/saved.tar" big:1)
read -r load_s load_kb load_cpu < <(best env LAYERKIT_ROOT="$data/store-dst" "$lk" load -i "$data/image.tar")
# The floor for load, which must check every digest: one sha256 pass.
read -r sha_s sha_kb sha_cpu < <(best openssl dgst -sha256 "$data/image.tar")
rm -rf "$data/store-dst" "$data/copy.tar" "$data/saved.tar"

printf '%-26s %8s %8s %9s %10s\n' step wall-s cpu-s peak-MB vs-cp
row() { printf '%-26s %8s %8s %9s %10s\n' "$1" "$2" "$4" "$(( $3 / 1024 ))" \
  "$(python3 -c "print(f'{$2/$cp_s:.2f}x')")"; }
row "cp" "$cp_s" "$cp_kb" "$cp_cpu"
row "layerkit save" "$save_s" "$save_kb" "$save_cpu"
row "layerkit load" "$load_s" "$load_kb" "$load_cpu"
row "openssl dgst -sha256" "$sha_s" "$sha_kb" "$sha_cpu"
