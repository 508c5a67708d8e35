#!/usr/bin/env bash
# Push and pull of a ~200 MB image to/from a local registry (Debian's
# docker-registry, distribution 2.8, filesystem storage, plain HTTP on
# 127.0.0.1): layerkit vs `skopeo copy` of the same image, side by side.
#
#   benches/registry.sh [RUNS]        (default 3; needs a release build:
#                                      cargo build --release --features cli)
#
# Each run starts a fresh registry (empty storage) so nothing is skipped;
# pulls go into an empty store / empty OCI layout. Repository names are
# unique per run so skopeo's blob-info cache cannot mount from earlier runs. Prints the median
# seconds, the ratio skopeo/layerkit (> 1: layerkit faster) and layerkit's
# peak RSS (GNU time).
. "$(dirname "$0")/common.sh"
runs=${1:-3}
lk="$root/target/release/layerkit"
[ -x "$lk" ] || { echo "build first: cargo build --release --features cli" >&2; exit 1; }
work=$(mktemp -d /tmp/layerkit-bench-registry.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The image: 4 layers of 50 MB of incompressible data, made by umoci.
layout="$work/img"
umoci init --layout "$layout"
umoci new --image "$layout:t"
for i in 1 2 3 4; do
  head -c 50000000 /dev/urandom > "$work/layer$i"
  umoci insert --image "$layout:t" "$work/layer$i" "/data/layer$i" >/dev/null
  rm "$work/layer$i"
done
size=$(du -sb "$layout/blobs" | cut -f1)
echo "image: $(( size / 1000000 )) MB in $(ls "$layout/blobs/sha256" | wc -l) blobs"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_registry() {
  rm -rf "$work/data"
  cat > "$work/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/data
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
  regpid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && return; sleep 0.05; done
  echo "registry did not start" >&2; exit 1
}
stop_registry() { kill "$regpid"; wait "$regpid" 2>/dev/null || true; }

export HOME="$work/home" XDG_DATA_HOME="$work/xdg" XDG_CONFIG_HOME="$work/cfg" DOCKER_CONFIG="$work/docker"
reg="127.0.0.1:$port"

: > "$work/lk-push"; : > "$work/sk-push"; : > "$work/lk-pull"; : > "$work/sk-pull"; : > "$work/rss"
for r in $(seq "$runs"); do
  # Unique names and a fresh registry for each measurement: skopeo's blob
  # cache cannot mount from a repository it saw in an earlier run.
  id="$r-$RANDOM"
  start_registry
  t=$(now); /usr/bin/time -f %M -o "$work/rss.push" "$lk" push -q --from "$layout:t" "$reg/bench/lk-$id:1" >/dev/null
  echo "$(now) - $t" | bc >> "$work/lk-push"; cat "$work/rss.push" >> "$work/rss"
  stop_registry
  start_registry
  t=$(now); skopeo copy -q --dest-tls-verify=false "oci:$layout:t" "docker://$reg/bench/sk-$id:1"
  echo "$(now) - $t" | bc >> "$work/sk-push"
  # pull: both from the skopeo-pushed repository, into empty destinations
  rm -rf "$work/xdg" "$work/skopeo-out"
  t=$(now); /usr/bin/time -f %M -o "$work/rss.pull" "$lk" pull -q "$reg/bench/sk-$id:1" >/dev/null
  echo "$(now) - $t" | bc >> "$work/lk-pull"; cat "$work/rss.pull" >> "$work/rss"
  t=$(now); skopeo copy -q --src-tls-verify=false "docker://$reg/bench/sk-$id:1" "oci:$work/skopeo-out:x"
  echo "$(now) - $t" | bc >> "$work/sk-pull"
  stop_registry
done

lp=$(median < "$work/lk-push"); sp=$(median < "$work/sk-push")
ll=$(median < "$work/lk-pull"); sl=$(median < "$work/sk-pull")
rss=$(sort -n "$work/rss" | tail -1)
printf 'push: layerkit %.2fs  skopeo %.2fs  ratio skopeo/layerkit %.2fx\n' "$lp" "$sp" "$(echo "$sp / $lp" | bc -l)"
printf 'pull: layerkit %.2fs  skopeo %.2fs  ratio skopeo/layerkit %.2fx\n' "$ll" "$sl" "$(echo "$sl / $ll" | bc -l)"
printf 'layerkit peak RSS: %.1f MB (runs: %s)\n' "$(echo "$rss / 1024" | bc -l)" "$runs"
