/**
 * `npm run validate`: scores what `npm pack` produces with `node-red-dev validate`, the Flow Library's own
 * checks, and fails unless every check passes. P08 and N01 need the Flow Library's catalogue, which is out
 * of reach here: they are reported as not checked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROJECT = resolve(__dirname, '..');
const NOT_CHECKED = new Set(['P08', 'N01']);

interface Check {
  test: boolean;
  [detail: string]: unknown;
}

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

const work = mkdtempSync(join(tmpdir(), 'twilio-sms-validate-'));
try {
  run('npm', ['pack', '--silent', '--pack-destination', work], PROJECT);
  const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  run('tar', ['-xzf', tarball], work);
  const packageDir = join(work, 'package');
  // D02 and D03 look at the installed dependency tree, as a user's install would have it.
  run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'], packageDir);
  const scorecardFile = join(work, 'scorecard.json');
  const cli = require.resolve('node-red-dev/bin/run');
  const output = run(
    process.execPath,
    [
      '--require',
      require.resolve('tsx/cjs'),
      '--require',
      join(__dirname, 'validate-preload.ts'),
      cli,
      'validate',
      '--path',
      packageDir,
      '--output',
      scorecardFile,
    ],
    work,
  );
  process.stdout.write(output);
  const scorecard = JSON.parse(readFileSync(scorecardFile, 'utf8')) as Record<string, Check>;
  const failed: string[] = [];
  console.log('\ncheck  result');
  // The scorecard also names the package; its checks are the entries named like P01.
  const checks = Object.entries(scorecard).filter(([id]) => /^[PND]\d\d$/.test(id));
  for (const [id, check] of checks.sort(([a], [b]) => a.localeCompare(b))) {
    const result = NOT_CHECKED.has(id) ? 'not checked (no catalogue here)' : check.test ? 'pass' : 'FAIL';
    if (result === 'FAIL') failed.push(id);
    console.log(`${id.padEnd(6)} ${result}`);
  }
  // node-red-dev itself has P02 (the repository's package name) disabled.
  const expected = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'P08', 'N01', 'N02', 'D01', 'D02', 'D03'];
  const missing = expected.filter((id) => !(id in scorecard));
  if (missing.length > 0) failed.push(...missing.map((id) => `${id} (missing)`));
  if (failed.length > 0) {
    console.error(`\nnode-red-dev validate: failed ${failed.join(', ')}`);
    process.exitCode = 1;
  } else {
    console.log('\nnode-red-dev validate: every check passed');
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
