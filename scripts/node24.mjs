/**
 * `node scripts/node24.mjs <command> [args...]`: runs the command with a Node that runs this
 * repository's TypeScript sources as they are (type stripping on by default: Node >= 22.18, or
 * 23.6+). The npm scripts that run sources (start, test, emulator, bench, link) go through it.
 *
 * On an older node (Debian's 18 or 20, say) it installs Node 24 from the npm registry into
 * ~/.cache/node24 (NODE24_DIR overrides), the same way .ci/run always has, says so in one line on
 * stderr, and runs the command with that node first on PATH, so that every `node` the command
 * starts (nested npm scripts included) is Node 24. If it cannot, it stops with one line naming
 * the fix. `--path` prints the PATH to use instead of running anything (for .ci/run).
 *
 * Plain JavaScript that Node 18 parses: this file is the only thing the old node runs here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';

const WIN = process.platform === 'win32';
const DIR = process.env.NODE24_DIR || path.join(os.homedir(), '.cache', 'node24');
const BIN = path.join(DIR, 'node_modules', '.bin');
const NODE24 = path.join(BIN, WIN ? 'node.cmd' : 'node');
const shown = DIR.startsWith(os.homedir() + path.sep) ? '~' + DIR.slice(os.homedir().length) : DIR;

/** Type stripping without a flag: unflagged in 22.18.0 and 23.6.0. */
function runsTypeScript(version) {
  const [major, minor] = String(version).replace(/^v/, '').split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

function versionOf(node) {
  if (!existsSync(node)) return '';
  const r = spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8', shell: WIN });
  return r.status === 0 ? r.stdout.trim() : '';
}

function stop(message, code = 1) {
  process.stderr.write(`express-wecom-auth: ${message}\n`);
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.length === 0) stop('usage: node scripts/node24.mjs <command> [args...] | --path', 2);

let env = process.env;
if (!runsTypeScript(process.version)) {
  const have = runsTypeScript(versionOf(NODE24));
  process.stderr.write(
    `express-wecom-auth: node ${process.version} cannot run this repository's TypeScript (needs >= 22.18): ` +
      (have ? `using Node 24 from ${shown}\n` : `installing Node 24 from the npm registry into ${shown} (once, as .ci/run does)\n`),
  );
  if (!have) {
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', DIR, 'node@24'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      shell: WIN,
    });
    const why = r.error ? r.error.message : (r.stderr || '').split('\n').find((line) => line.trim()) || `npm exited with ${r.status}`;
    if (r.status !== 0 || !runsTypeScript(versionOf(NODE24))) {
      stop(
        `could not install Node 24 into ${shown} (${why.trim()}); install Node >= 22.18 (https://nodejs.org/en/download or \`nvm install 24\`) and run the command again.`,
      );
    }
  }
  env = { ...process.env, PATH: BIN + path.delimiter + (process.env.PATH || '') };
}

if (args[0] === '--path') {
  process.stdout.write(env.PATH + '\n');
  process.exit(0);
}

const child = spawn(args[0], args.slice(1), { stdio: 'inherit', env, shell: WIN });
child.on('error', (err) => stop(`cannot run ${args[0]}: ${err.message}`, 127));
// Signals sent to this process (npm passes SIGINT and SIGTERM on to its scripts) go to the child,
// and this process exits when it does, with its exit code.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  process.exit(signal ? 128 + (os.constants.signals[signal] || 0) : (code ?? 1));
});
