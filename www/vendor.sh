#!/usr/bin/env bash
# Copies the npm package's browser parts (pkg/web, pkg/image, built by
# .ci/package) into www/vendor/layerkit/, where index.html's import map
# points. Then serve www/ with any static file server, e.g.
#
#   .ci/package && www/vendor.sh && python3 -m http.server -d www 8000
#
# or from an installed package: copy (or link) node_modules/layerkit there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$root/pkg}
[ -f "$src/web/layerkit.js" ] && [ -f "$src/image/browser.js" ] ||
  { echo "www/vendor.sh: $src has no web build: run .ci/package first" >&2; exit 1; }
dest="$root/www/vendor/layerkit"
rm -rf "$dest.next"
mkdir -p "$dest.next"
cp -R "$src/web" "$src/image" "$src/package.json" "$dest.next/"
rm -rf "$dest"
mv "$dest.next" "$dest"
echo "www/vendor/layerkit: $(du -sh "$dest" | cut -f1) from $src" >&2
