#!/usr/bin/env bash
# Runs the test suite under Node 20 (this machine's), 22 and 24 (from the npm registry's `node`
# package). Users are on the current LTS lines, so every kernel is checked on each engine.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build
for version in 20 22 24; do
  echo "=== Node $version ==="
  if [ "$version" = "$(node -p 'process.versions.node.split(".")[0]')" ]; then
    node node_modules/vitest/vitest.mjs run
  else
    npx -y -p "node@$version" node node_modules/vitest/vitest.mjs run
  fi
done
