#!/usr/bin/env bash
# Size and parse speed of the wasm module under other compiler and wasm-opt
# settings than the shipped ones, to choose them (see RESULTS.md). Builds
# each variant into target/wasm-variants/ (nodejs target only), then runs
# benches/wasm_parse_speed.mjs over all of them; the first is the shipped
# configuration. Takes a few minutes: every variant is a full release build.
#
#   benches/wasm_variants.sh
. "$(dirname "$0")/common.sh"
export PATH="$HOME/.cargo/bin:$PATH"
out="$root/target/wasm-variants"
wasm_opt="$root/tests/node/node_modules/binaryen/bin/wasm-opt"
mkdir -p "$out"

# name | cargo profile overrides (env) | wasm-opt flags
variants=(
  "shipped|CARGO_PROFILE_RELEASE_OPT_LEVEL=3|-Oz --strip-debug --strip-producers"
  "o3-wasm-opt-O3|CARGO_PROFILE_RELEASE_OPT_LEVEL=3|-O3 --strip-debug --strip-producers"
  "no-wasm-opt|CARGO_PROFILE_RELEASE_OPT_LEVEL=3|"
  "s-fatlto-cgu1|CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1|-Oz --strip-debug --strip-producers"
  "z-fatlto-cgu1|CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1|-Oz --strip-debug --strip-producers"
)
dirs=()
for v in "${variants[@]}"; do
  IFS='|' read -r name envs flags <<<"$v"
  dir="$out/$name"
  echo "--> $name: $envs cargo build; wasm-opt ${flags:-(none)}" >&2
  # A target dir per compiler setting, so the variants do not rebuild each other.
  tdir="$out/target-$(echo "$envs" | sha256sum | cut -c1-12)"
  env $envs CARGO_TARGET_DIR="$tdir" cargo build -q --lib --release --target wasm32-unknown-unknown
  rm -rf "$dir"
  wasm-bindgen --target nodejs --out-dir "$dir/nodejs" --out-name layerkit \
    "$tdir/wasm32-unknown-unknown/release/layerkit.wasm"
  if [ -n "$flags" ]; then
    # shellcheck disable=SC2086
    "$wasm_opt" "$dir/nodejs/layerkit_bg.wasm" $flags -o "$dir/nodejs/opt.wasm"
    mv "$dir/nodejs/opt.wasm" "$dir/nodejs/layerkit_bg.wasm"
  fi
  printf '    %s: %s bytes, %s gzip -9\n' "$name" "$(wc -c <"$dir/nodejs/layerkit_bg.wasm")" \
    "$(gzip -9c "$dir/nodejs/layerkit_bg.wasm" | wc -c)" >&2
  dirs+=("$dir")
done
node benches/wasm_parse_speed.mjs "${dirs[@]}"
