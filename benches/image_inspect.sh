#!/usr/bin/env bash
# Benchmark: `layerkit inspect` on a docker-archive holding a ~1 GiB
# gzip'd layer with ~57,000 files (every digest checked, every file
# listed), against `gzip -dc` and `pigz -dc` on the same layer, and the
# wasm build under Node — all in the same run, interleaved round by round
# (a change in the machine's load then hits every contender alike), with
# medians, the load average, CPU times and peak memory (/usr/bin/time).
#
#   benches/image_inspect.sh [ROUNDS]   (default 5; data cached in target/bench-image/)
. "$(dirname "$0")/common.sh"
data="$root/target/bench-image"
mkdir -p "$data"
rounds=${1:-5}

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


build_cli
ls -l "$data/layer.tar.gz" "$data/archive.tar" >&2
cat "$data/archive.tar" > /dev/null  # warm the page cache

# wasm under Node: `layerkit/image`'s readImage from the npm package
# (.ci/package), as a user calls it: big gzip layers are inflated by Node's
# zlib on libuv's thread pool while the wasm reader hashes (OpenSSL) and
# lists on the main thread. Beside it, the reader inflating in wasm itself
# (zlib-rs), with OpenSSL's sha256 and with its own, as in browsers.
have_wasm=
if command -v wasm-bindgen >/dev/null && command -v node >/dev/null; then
  "$root/.ci/package" >/dev/null 2>&1
  mkdir -p "$data/wasm"
  cat > "$data/wasm/bench.mjs" <<'JS'
import { createHash } from "node:crypto";
import { openSync, readSync } from "node:fs";
import { createRequire } from "node:module";
const [file, how, pkg] = process.argv.slice(2);
if (how === "package") {
  const { readImage } = await import(`${pkg}/image/node.js`);
  console.log((await readImage(file)).inspect.Layers[0].Files);
} else {
  // The reader alone, fed 1 MiB chunks: it inflates in wasm.
  const { ImageReader } = createRequire(import.meta.url)(`${pkg}/nodejs/layerkit.js`);
  const sha256 = how === "builtin" ? undefined : () => createHash("sha256");
  const r = new ImageReader(file, { sha256 });
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  let n;
  while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) r.push(buf.subarray(0, n));
  console.log(r.finish().inspect.Layers[0].Files);
}
JS
  have_wasm=1
fi

# Both builds list every file.
files=$("$lk" inspect -q "$data/archive.tar" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Layers"][0]["Files"])')
wasm="node $data/wasm/bench.mjs $data/archive.tar"
if [ -n "$have_wasm" ]; then
  for how in package openssl builtin; do
    wfiles=$($wasm $how "$root/pkg")
    [ "$wfiles" = "$files" ] || { echo "wasm ($how) lists $wfiles files, native $files" >&2; exit 1; }
  done
fi

# name|preparation|command; each round runs them all once, in this order.
runs=(
  "gzip -dc|true|gzip -dc $data/layer.tar.gz"
  "pigz -dc|true|pigz -dc $data/layer.tar.gz"
  "layerkit inspect|true|$lk inspect -q $data/archive.tar"
)
if [ -n "$have_wasm" ]; then
  runs+=("wasm (node)|true|$wasm package $root/pkg")
  runs+=("wasm, zlib-rs|true|$wasm openssl $root/pkg")
  runs+=("wasm, own sha256|true|$wasm builtin $root/pkg")
fi
# A yardstick, if installed (Debian package isal): the fastest single-core
# gzip inflater there is (Intel ISA-L, hand-written assembly).
if command -v igzip >/dev/null; then
  runs+=("igzip -dc|true|igzip -dc $data/layer.tar.gz")
fi

log="$data/times.txt"
interleave "$log" "$rounds"

echo
echo "layer: $(stat -c %s "$data/layer.tar.gz") bytes gzip'd, $files files"
loads_line "$rounds"
python3 - "$log" <<'PY'
import statistics, sys
sys.path.insert(0, "benches")
from timings import read
rows, med, cpu, best = read(sys.argv[1])
print(f"{'':17} {'median s':>8} {'best s':>7}  {'CPU s':>6} {'peak MB':>7}  every run (wall s)")
for n, v in rows.items():
    walls = " ".join(f"{x[0]:.2f}" for x in v)
    cpu = statistics.median(x[1] for x in v)
    peak = max(x[2] for x in v) / 1024
    print(f"{n:17} {med[n]:8.2f} {best[n]:7.2f}  {cpu:6.2f} {peak:7.1f}  {walls}")
lk = "layerkit inspect"
def ratio(a, b, goal):
    if a in med and b in med:
        print(f"{a} / {b}: {med[a] / med[b]:.2f}x (medians), {best[a] / best[b]:.2f}x (best runs)   {goal}")
print()
ratio("gzip -dc", lk, "goal >= 3")
ratio("pigz -dc", lk, "goal > 1")
ratio("wasm (node)", lk, "goal <= 2.5")
ratio("wasm, zlib-rs", lk, "(inflating in wasm)")
ratio("wasm, own sha256", lk, "(inflating and hashing in wasm, as in browsers)")
print(f"layerkit peak memory: {max(x[2] for x in rows[lk]) / 1024:.1f} MB (goal < 100)")
PY
