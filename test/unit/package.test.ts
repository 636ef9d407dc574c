/**
 * The package as users get it: `npm pack`, unpacked into a node_modules folder, imported by its
 * public names (not by our source paths), its CLIs run from the packed files.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside the repo, so that the unpacked package finds its dependencies in the repo's node_modules.
const WORK = path.join(ROOT, 'test-output', 'package');
const INSTALLED = path.join(WORK, 'node_modules', 'express-wecom-auth');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: WORK }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the packed package', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(INSTALLED, { recursive: true });
    // `npm pack` runs `prepare` (the build) and prints the tarball's name on its last line.
    const out = execFileSync(NPM, ['pack', '--silent', '--pack-destination', WORK], { cwd: ROOT, encoding: 'utf8' });
    const tarball = path.join(WORK, out.trim().split('\n').at(-1) ?? '');
    execFileSync('tar', ['-xzf', tarball, '-C', INSTALLED, '--strip-components=1']);
  });
  after(() => {
    rmSync(WORK, { recursive: true, force: true });
  });

  it('holds the build, the views and the README, and no sources or tests', () => {
    const files = execFileSync('tar', ['-tzf', path.join(WORK, readdirTarball())], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(files.includes('package/dist/index.js'));
    assert.ok(files.includes('package/dist/index.d.ts'));
    assert.ok(files.includes('package/views/layout.html'));
    assert.ok(files.includes('package/README.md'));
    assert.ok(!files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/') || f.startsWith('package/bench/')));
  });

  it('imports by its public names: the main entry without any Redis package, ./redis, ./emulator', async () => {
    writeFileSync(path.join(WORK, 'use.mjs'), `
      import { wecomAuth, WeComClient, buildEntryLinks, WeComApiError } from 'express-wecom-auth';
      import { RedisTokenCache, createRedisSessionStore } from 'express-wecom-auth/redis';
      import { startEmulator } from 'express-wecom-auth/emulator';
      const emulator = await startEmulator({ port: 0 });
      const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000', apiBaseUrl: emulator.url });
      const token = await wecom.client.getAccessToken();
      console.log(JSON.stringify({
        types: [typeof wecomAuth, typeof WeComClient, typeof buildEntryLinks, typeof WeComApiError, typeof RedisTokenCache, typeof createRedisSessionStore],
        token: token.length > 0,
        page: wecom.views.renderHtml(wecom.views.context({ headers: {} }, 'signed-out')).includes('你已退出登录'),
      }));
      wecom.close();
      await emulator.close();
    `);
    const r = await run('use.mjs', []);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { types: ['function', 'function', 'function', 'function', 'function', 'function'], token: true, page: true });
    // The main entry must not need the optional peers (connect-redis, redis).
    const main = readFileSync(path.join(INSTALLED, 'dist', 'index.js'), 'utf8');
    assert.doesNotMatch(main, /connect-redis|from 'redis'/);
  });

  it('runs its two CLIs from the packed files', async () => {
    const pkg = JSON.parse(readFileSync(path.join(INSTALLED, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const bin of Object.values(pkg.bin)) {
      const file = path.join(INSTALLED, bin);
      assert.ok(existsSync(file), bin);
      assert.match(readFileSync(file, 'utf8'), /^#!\/usr\/bin\/env node\n/);
    }
    const link = await run(path.join(INSTALLED, pkg.bin['express-wecom-auth'] ?? ''), ['link', '--corp-id', 'ww1', '--agent-id', '2', '--url', 'https://a.example/x', '--json']);
    assert.equal(link.code, 0, link.stderr);
    assert.equal((JSON.parse(link.stdout) as { appUrl: string }).appUrl, 'https://a.example/x');
    const help = await run(path.join(INSTALLED, pkg.bin['wecom-emulator'] ?? ''), ['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /wecom-emulator/);
  });
});

function readdirTarball(): string {
  const name = execFileSync('ls', [WORK], { encoding: 'utf8' }).split('\n').find((f) => f.endsWith('.tgz'));
  if (!name) throw new Error('no tarball');
  return name;
}
