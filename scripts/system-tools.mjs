/**
 * The system tools the tests need, where each is looked for, and the Debian package that brings
 * it. One table for both checks: `npm test` installs what is missing before any test runs
 * (scripts/test-deps.mjs), and each test that needs a tool fails at once with the command that
 * installs it when it is run on its own (test/helpers/processes.ts, `requireTool`).
 *
 * Cheap on purpose (a few stat calls): it runs before every `npm test`.
 * Plain JavaScript that Node 18 parses (scripts/test-deps.mjs runs before the Node launcher).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/**
 * `env`: the variable that points a test at another binary. `command`: looked up on PATH, as
 * `command -v` does. `file`: a fixed path (playwright needs Chromium's executable, and Debian's
 * is /usr/bin/chromium, which is not always on a minimal PATH).
 */
export const TOOLS = {
  'redis-server': { package: 'redis-server', env: 'REDIS_SERVER_BIN', command: 'redis-server' },
  'redis-sentinel': { package: 'redis-sentinel', env: 'REDIS_SENTINEL_BIN', command: 'redis-sentinel' },
  'redis-cli': { package: 'redis-tools', env: 'REDIS_CLI_BIN', command: 'redis-cli' },
  chromium: { package: 'chromium', env: 'CHROMIUM_PATH', file: '/usr/bin/chromium' },
};

/** The CJK fonts Chromium needs to draw the pages' Chinese in the screenshots (checked with `dpkg -s`). */
export const FONTS_PACKAGE = 'fonts-noto-cjk';

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `command` on `searchPath`, as `command -v` finds it; undefined if none. */
export function onPath(command, searchPath = process.env.PATH || '') {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** `{ path }` of the tool, or `{ problem }`: why it was not found, in a few words. */
export function findTool(name, env = process.env) {
  const tool = TOOLS[name];
  if (tool === undefined) throw new Error(`unknown system tool ${name}`);
  const override = env[tool.env];
  if (override) return isExecutable(override) ? { path: override } : { problem: `${tool.env}=${override} is not an executable file` };
  if (tool.file) return isExecutable(tool.file) ? { path: tool.file } : { problem: `no executable ${tool.file}` };
  const found = onPath(tool.command, env.PATH || '');
  return found ? { path: found } : { problem: `no ${tool.command} on PATH` };
}

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The one command that installs `packages` (Debian's names): apt-get, through sudo unless root. */
export function installCommand(packages, root = isRoot()) {
  return `${root ? '' : 'sudo '}apt-get install -y ${packages.join(' ')}`;
}

/** What a test says when its tool is missing: what was looked for, and the line that installs it. */
export function missingToolMessage(name, problem, root = isRoot()) {
  const tool = TOOLS[name];
  return (
    `${name} is missing (${problem}): install it with \`${installCommand([tool.package], root)}\`` +
    ` (\`npm test\` does this itself when run as root) or point ${tool.env} at it`
  );
}
