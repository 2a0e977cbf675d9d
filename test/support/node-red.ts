import { dirname, join, resolve } from 'node:path';

/**
 * The Node-RED the tests run against: the one in devDependencies, or the installation that the
 * environment variable TEST_NODE_RED names (a node-red package folder), so CI can run the same suite
 * against Node-RED 4 and 5.
 */
const NODE_RED_DIR = process.env.TEST_NODE_RED
  ? resolve(process.env.TEST_NODE_RED)
  : dirname(require.resolve('node-red/package.json'));

/** The runtime module, for node-red-node-test-helper. */
export const NODE_RED_RUNTIME = require.resolve(NODE_RED_DIR);

/** The launcher script that the `node-red` command runs. */
export const NODE_RED_LAUNCHER = join(NODE_RED_DIR, 'red.js');

/** A module of that Node-RED's own core nodes, such as `common/25-catch.js`. */
export function coreNodePath(file: string): string {
  return require.resolve(`@node-red/nodes/core/${file}`, { paths: [NODE_RED_DIR] });
}
