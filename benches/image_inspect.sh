#!/usr/bin/env bash
# Benchmark: `layerkit inspect` on a docker-archive holding a ~1 GiB
# gzip'd layer with ~57,000 files (every digest checked, every file
# listed), against `gzip -dc` and `pigz -dc` on the same layer, and the
# wasm build under Node. Peak memory from /usr/bin/time -v.
#
#   benches/image_inspect.sh        (data cached in target/bench-image/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/target/bench-image"
mkdir -p "$data"
cd "$root"

if [ ! -f "$data/archive.tar" ]; then
  echo "generating the layer (57,000 files, ~1 GiB) …" >&2
  python3 - "$data" <<'PY'
import hashlib, io, json, os, random, sys, tarfile
out = sys.argv[1]
rnd = random.Random(42)
words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(5000)]
blob = b" ".join(rnd.choice(words) for _ in range(4_000_000))  # ~24 MB of text
target = 1 << 30
n = 57000
with open(f"{out}/layer.tar", "wb") as f:
    t = tarfile.open(fileobj=f, mode="w", format=tarfile.GNU_FORMAT)
    total = 0
    for i in range(n):
        d = f"usr/share/bench/{i % 300:03d}"
        size = max(0, int(rnd.expovariate(1 / (target / n))))
        size = min(size, len(blob) - 1)
        off = rnd.randrange(0, len(blob) - size)
        ti = tarfile.TarInfo(f"{d}/file{i}.txt"); ti.size = size; ti.mtime = 1700000000
        t.addfile(ti, io.BytesIO(blob[off:off + size]))
        total += size
    t.close()
PY
  pigz -6 -c "$data/layer.tar" > "$data/layer.tar.gz"
  python3 - "$data" <<'PY'
import hashlib, io, json, sys, tarfile
out = sys.argv[1]
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""): h.update(b)
    return h.hexdigest()
diff = sha(f"{out}/layer.tar")
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff}"]},
    "history": [{"created_by": "bench layer"}]}).encode()
cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
man = json.dumps([{"Config": cfg_name, "RepoTags": ["bench:1"], "Layers": ["layer/layer.tar.gz"]}]).encode()
with tarfile.open(f"{out}/archive.tar", "w") as t:
    t.add(f"{out}/layer.tar.gz", arcname="layer/layer.tar.gz")
    for name, data in [(cfg_name, cfg), ("manifest.json", man)]:
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
PY
  rm -f "$data/layer.tar"
fi

cargo build -q --release --features cli
lk="$root/target/release/layerkit"
ls -l "$data/layer.tar.gz" "$data/archive.tar" >&2
cat "$data/archive.tar" > /dev/null  # warm the page cache

t() { # prints seconds, peak KB
  /usr/bin/time -f "%e %M" "$@" 2> "$data/time.txt" > /dev/null
  tail -1 "$data/time.txt"
}
best() { # best of 3 runs: "secs kb"
  local b=""
  for _ in 1 2 3; do
    r=$(t "$@")
    if [ -z "$b" ] || awk -v a="${r%% *}" -v b="${b%% *}" 'BEGIN{exit !(a<b)}'; then b=$r; fi
  done
  echo "$b"
}
gz=$(best gzip -dc "$data/layer.tar.gz")
pz=$(best pigz -dc "$data/layer.tar.gz")
lk_r=$(best "$lk" inspect -q "$data/archive.tar")
files=$("$lk" inspect -q "$data/archive.tar" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0]["Files"])')

# wasm under Node.
wasm_line="(wasm-bindgen not installed)"
if command -v wasm-bindgen >/dev/null && command -v node >/dev/null; then
  cargo build -q --release --target wasm32-unknown-unknown --lib
  wasm-bindgen --target nodejs --out-dir "$data/wasm" "$root/target/wasm32-unknown-unknown/release/layerkit.wasm"
  cat > "$data/wasm/bench.cjs" <<'JS'
const fs = require("fs");
const { ImageReader } = require("./layerkit.js");
const r = new ImageReader(process.argv[2]);
const fd = fs.openSync(process.argv[2], "r");
const buf = Buffer.alloc(1 << 20);
let n;
while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) r.push(buf.subarray(0, n));
const rep = r.finish();
console.log(rep.inspect.Layers[0].Files);
JS
  wa=$(best node "$data/wasm/bench.cjs" "$data/archive.tar")
  wasm_line="wasm (node): ${wa%% *} s, peak ${wa##* } KB"
fi

secs() { echo "${1%% *}"; }
kb() { echo "${1##* }"; }
echo
echo "layer: $(stat -c %s "$data/layer.tar.gz") bytes gzip'd, $files files"
echo "gzip -dc:          $(secs "$gz") s"
echo "pigz -dc:          $(secs "$pz") s"
echo "layerkit inspect:  $(secs "$lk_r") s, peak $(kb "$lk_r") KB"
echo "$wasm_line"
awk -v g="$(secs "$gz")" -v p="$(secs "$pz")" -v l="$(secs "$lk_r")" -v w="${wa:-0}" 'BEGIN {
  printf "speed-up vs gzip -dc: %.2fx (goal >= 3)\n", g / l
  printf "speed-up vs pigz -dc: %.2fx (goal > 1)\n", p / l
  split(w, a, " "); if (a[1] > 0) printf "wasm / native:        %.2fx (goal <= 2.5)\n", a[1] / l
}'
