/**
 * scripts/test-deps.mjs, `npm test`'s first step, run on a PATH of stand-ins: an `apt-get` that
 * records what it is asked and "installs" by creating the tools, a `dpkg` that knows the fonts once
 * they are "installed". Nothing is installed on this machine. Chromium is a stand-in that is
 * always there (CHROMIUM_PATH), so the result does not depend on this machine having it; the
 * Redis tools and the fonts are what goes missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/test-deps.mjs', import.meta.url));
const ROOT_USER = process.getuid?.() === 0;
const work = mkdtempSync(path.join(tmpdir(), 'ewa-test-deps-'));
after(() => rmSync(work, { recursive: true, force: true }));

function executable(file: string, body: string): void {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

/** A bin dir with the stand-ins; `tools` are there from the start, `apt` says what apt-get does. */
function machine(name: string, options: { tools?: boolean; apt?: 'works' | 'fails' | 'absent' }) {
  const bin = path.join(work, name);
  mkdirSync(bin);
  const log = path.join(bin, 'apt.log');
  const fonts = path.join(bin, 'fonts-installed');
  const tools = ['redis-server', 'redis-sentinel', 'redis-cli'];
  const install = tools.map((t) => `printf '#!/bin/sh\\n' > ${bin}/${t}; /bin/chmod +x ${bin}/${t}`).join('; ');
  executable(path.join(bin, 'chromium'), '');
  if (options.tools) {
    for (const tool of tools) executable(path.join(bin, tool), '');
    writeFileSync(fonts, '');
  }
  executable(path.join(bin, 'dpkg'), `[ -e ${fonts} ]`);
  if (options.apt !== 'absent') {
    const works = options.apt === 'works';
    executable(
      path.join(bin, 'apt-get'),
      `echo "$*" >> ${log}\ncase "$1" in install) ${works ? `${install}; : > ${fonts}` : 'exit 100'};; esac`,
    );
  }
  return { bin, log, apt: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function run(bin: string, extra: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  const env = { PATH: bin, CHROMIUM_PATH: path.join(bin, 'chromium'), HOME: process.env['HOME'] ?? '', ...extra };
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT], { env, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

const PACKAGES = 'redis-server redis-sentinel redis-tools fonts-noto-cjk';

describe('npm test brings the system packages the tests need (scripts/test-deps.mjs)', { timeout: 60_000 }, () => {
  test('a ready machine: nothing said, nothing run', async () => {
    const m = machine('ready', { tools: true, apt: 'works' });
    const r = await run(m.bin);
    assert.deepEqual(r, { code: 0, stderr: '' });
    assert.deepEqual(m.apt(), []);
  });

  test(
    'root with apt-get: one line, apt-get update once, then install -y the missing packages',
    { skip: !ROOT_USER && 'needs root' },
    async () => {
      const m = machine('fresh', { apt: 'works' });
      const r = await run(m.bin);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stderr,
        `express-wecom-auth: the tests need ${PACKAGES.replaceAll(' ', ', ')}; installing: apt-get update && apt-get install -y ${PACKAGES}\n`,
      );
      assert.deepEqual(m.apt(), ['update -qq', `install -y -qq ${PACKAGES}`]);
    },
  );

  test('root with an apt-get that fails: exit 1, saying so', { skip: !ROOT_USER && 'needs root' }, async () => {
    const m = machine('broken', { apt: 'fails' });
    const r = await run(m.bin);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /apt-get could not install redis-server .*fonts-noto-cjk/);
  });

  test('no apt-get (or not root): the one command to run, exit 1, nothing run', async () => {
    const m = machine('no-apt', { apt: ROOT_USER ? 'absent' : 'works' });
    const r = await run(m.bin);
    assert.equal(r.code, 1);
    const command = `${ROOT_USER ? '' : 'sudo '}apt-get install -y ${PACKAGES}`;
    assert.ok(r.stderr.endsWith(`Run this, then npm test again:\n  ${command}\n`), r.stderr);
    assert.match(r.stderr, /redis-sentinel \(no redis-sentinel on PATH\)/);
    assert.deepEqual(m.apt(), []);
  });

  test('a variable that points at nothing: it is named, nothing installed (apt-get would not put the binary there)', async () => {
    const m = machine('override', { tools: true, apt: 'works' });
    const r = await run(m.bin, { REDIS_SENTINEL_BIN: path.join(m.bin, 'elsewhere', 'redis-sentinel') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /REDIS_SENTINEL_BIN=.*elsewhere\/redis-sentinel is not an executable file\): fix or unset the variable/);
    assert.deepEqual(m.apt(), []);
  });
});
