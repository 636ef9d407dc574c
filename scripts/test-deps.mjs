/**
 * `npm test`'s first step: the system packages the tests need (redis-server, redis-sentinel,
 * redis-cli, Chromium and its CJK fonts; scripts/system-tools.mjs says where each is looked for).
 *
 * On a ready machine it finds them all and prints nothing (a few stat calls and one `dpkg -s`).
 * Otherwise, as root with apt-get (a fresh Debian machine or container, CI), it says in one line
 * what it installs, then runs `apt-get update` once and `apt-get install -y`; without root or
 * apt-get it names the one command to run and exits 1, before any test has started. The way
 * scripts/node24.mjs brings Node 24 for `npm start`.
 *
 * Plain JavaScript that Node 18 parses: it runs on the machine's node, before the launcher.
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { FONTS_PACKAGE, TOOLS, findTool, installCommand, isRoot, onPath } from './system-tools.mjs';

function say(message) {
  process.stderr.write(`express-wecom-auth: ${message}\n`);
}

/** What is missing: `{ name, package, problem }` per tool, and the fonts when dpkg says so. */
function missing(env) {
  const found = [];
  for (const name of Object.keys(TOOLS)) {
    const { problem } = findTool(name, env);
    if (problem !== undefined) found.push({ name, package: TOOLS[name].package, problem, override: Boolean(env[TOOLS[name].env]) });
  }
  // Without dpkg (not Debian) the fonts cannot be checked; they only change how screenshots look.
  const dpkg = onPath('dpkg', env.PATH || '');
  if (dpkg && spawnSync(dpkg, ['-s', FONTS_PACKAGE], { stdio: 'ignore' }).status !== 0) {
    found.push({ name: FONTS_PACKAGE, package: FONTS_PACKAGE, problem: 'not installed (dpkg -s)', override: false });
  }
  return found;
}

function describe(list) {
  return list.map((m) => `${m.name} (${m.problem})`).join(', ');
}

function apt(aptGet, args) {
  const r = spawnSync(aptGet, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

const env = process.env;
const before = missing(env);
if (before.length > 0) {
  const packages = [...new Set(before.map((m) => m.package))];
  const command = installCommand(packages);
  // A variable that points at a missing binary is a mistake apt-get cannot fix.
  const overrides = before.filter((m) => m.override);
  if (overrides.length > 0) {
    say(`the tests need ${describe(overrides)}: fix or unset the variable and run npm test again.`);
    process.exit(1);
  }
  const aptGet = onPath('apt-get', env.PATH || '');
  if (!isRoot() || aptGet === undefined) {
    say(`the tests need system packages that are missing: ${describe(before)}. Run this, then npm test again:\n  ${command}`);
    process.exit(1);
  }
  say(`the tests need ${packages.join(', ')}; installing: apt-get update && apt-get install -y ${packages.join(' ')}`);
  if (!apt(aptGet, ['update', '-qq']) || !apt(aptGet, ['install', '-y', '-qq', ...packages])) {
    say(`apt-get could not install ${packages.join(' ')} (its output is above); fix that, then run npm test again.`);
    process.exit(1);
  }
  const after = missing(env);
  if (after.length > 0) {
    say(`still missing after apt-get install: ${describe(after)}.`);
    process.exit(1);
  }
}
