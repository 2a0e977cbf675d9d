#!/usr/bin/env bash
# Runs the whole test suite against Node-RED 5 on Node.js 22 (Node-RED 5 needs Node >= 22.9), next to
# `npm test`, which uses the Node-RED 4 of devDependencies on the machine's Node.js. Arguments, such as one
# test file, replace the default of every test.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=.artifacts/node-red-5
npm install --prefix "$prefix" --no-audit --no-fund --no-save node-red@5 >/dev/null
npm run build >/dev/null
TEST_NODE_RED="$PWD/$prefix/node_modules/node-red" npx -y -p node@22 -- node node_modules/mocha/bin/mocha.js "${@:-test/**/*.test.ts}"
