#!/usr/bin/env bash
# Builds pkg's linuxstatic Node base here, for a machine without access to GitHub (where pkg downloads
# it from): Debian's Node 20 sources + pkg-fetch's patch, fully static (build/node-base-recipe.sh, a copy
# of the recipe that built ../shared/node-base; about 1.5 h on 2 cores, needs Debian's archive and npm).
# The result goes straight into pkg's cache layout for the pkg-fetch version installed here:
#
#   bash build/node-base.sh [CACHE_DIR]        # default .cache/pkg
#   export PKG_CACHE_PATH=CACHE_DIR; npm run build
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${1:-$repo/.cache/pkg}
fetch_version=$(node -p "require('$repo/node_modules/@yao-pkg/pkg-fetch/package.json').version")
bash "$repo/build/node-base-recipe.sh" "$cache" "$fetch_version"
echo "node-base: done; export PKG_CACHE_PATH=$cache"
