/**
 * `npm run build` (also `prepare`, so `npm ci` and `npm pack` run it): dist/ from a clean slate by
 * tsc, then the package's bins (package.json `bin`) made executable again.
 *
 * Why the second step: tsc writes every file with the default mode (0644 under umask 022), and the
 * sources are not executable either, so after any rebuild `npx wecom-emulator` in a clone answered
 * "Permission denied". npm sets the mode of bins only where it installs a package, never in the
 * package's own clone; the tarball keeps the mode the files have here. The bins must also keep
 * their `#!/usr/bin/env node` line, without which the executable bit is of no use.
 *
 * Plain JavaScript that Node 18 parses: `npm ci` runs `prepare` on the machine's node.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHEBANG = '#!/usr/bin/env node\n';

function stop(message) {
  process.stderr.write(`express-wecom-auth build: ${message}\n`);
  process.exit(1);
}

rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

const { bin = {} } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
for (const [name, file] of Object.entries(bin)) {
  const target = path.join(ROOT, file);
  let head;
  try {
    head = readFileSync(target, 'utf8').slice(0, SHEBANG.length);
  } catch (err) {
    stop(`the bin ${name} (${file}) was not built: ${err.message}`);
  }
  if (head !== SHEBANG) stop(`the bin ${name} (${file}) does not start with ${JSON.stringify(SHEBANG.trim())}`);
  // u+x, g+x, o+x: what `chmod +x` gives under the usual umask, and what npm gives installed bins.
  chmodSync(target, statSync(target).mode | 0o111);
}
