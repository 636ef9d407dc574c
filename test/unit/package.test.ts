/**
 * The package as users get it: `npm pack`, installed by npm into a small consumer project in a
 * temp dir, then used by its public names from ESM, from CommonJS (`require()` of ESM, Node >=
 * 22.12, which fails on any top-level await) and from TypeScript with `module` node16, nodenext
 * and bundler (the repo's own tsc), and its two CLIs run from the consumer's node_modules/.bin
 * (and executable in the tarball and in dist/ after the build, where npm does not fix the mode).
 * Also: package.json's repository, homepage and bugs, which npm's page needs for the README's links.
 *
 * Offline: the consumer's package-lock.json is cut out of the repo's own lockfile (the versions
 * of express, express-session, redis, connect-redis, the @types and the package's dependencies
 * that the repo is tested with), so `npm ci --offline` takes everything from the npm cache that
 * the repo's own `npm ci` filled.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Manifest {
  name: string;
  version: string;
  license?: string;
  repository?: { type?: string; url?: string };
  homepage?: string;
  bugs?: { url?: string };
  scripts?: Record<string, string>;
  bin?: Record<string, string>;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
interface LockEntry extends Partial<Manifest> {
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
}

/** npm and the scripts it starts see npm_config_* of the outer `npm test`: keep them out of the consumer. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/** Every command here takes seconds (npm offline, tsc, the CLIs); one that hangs is killed after this. */
const COMMAND_TIMEOUT_MS = 120_000;

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: CLEAN_ENV, maxBuffer: 16 << 20, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
      const killed = err?.killed ? `\n(${cmd} killed after ${COMMAND_TIMEOUT_MS / 1000} s)` : '';
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, stdout, stderr: stderr + killed });
    });
  });
}

/**
 * A package-lock.json for a project that depends on `roots` (at the repo's locked versions) and on
 * the tarball: the closure of those packages in the repo's lockfile, resolved the way Node
 * resolves (nearest node_modules first), so the tree npm lays out is the one the repo runs on.
 */
function consumerLock(packed: Manifest, tarball: string, roots: string[]): { manifest: object; lock: object } {
  const repoLock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const all = repoLock.packages;
  const find = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (all[candidate]) return candidate;
      if (!dir) return undefined;
    }
  };
  const packages: Record<string, LockEntry> = {};
  const queue: string[] = [];
  const need = (from: string, entry: LockEntry, name: string): void => {
    const at = find(from, name);
    if (at) queue.push(at);
    else if (!entry.peerDependenciesMeta?.[name]?.optional && !entry.optionalDependencies?.[name]) {
      throw new Error(`${name} (needed by ${from || entry.name}) is not in package-lock.json: run npm install`);
    }
  };
  const ownDeps = { ...packed.dependencies, ...packed.peerDependencies };
  for (const name of new Set([...Object.keys(ownDeps), ...roots])) need('', packed, name);
  for (let at = queue.pop(); at !== undefined; at = queue.pop()) {
    if (packages[at]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = all[at] as LockEntry;
    packages[at] = entry;
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }))
      need(at, entry, name);
  }
  const dependencies: Record<string, string> = { [packed.name]: `file:${tarball}` };
  for (const name of roots) dependencies[name] = all[`node_modules/${name}`]?.version ?? '';
  const { name, version, license, bin, engines, peerDependencies, peerDependenciesMeta } = packed;
  packages[`node_modules/${name}`] = {
    version,
    resolved: `file:${tarball}`,
    license,
    bin,
    engines,
    dependencies: packed.dependencies,
    peerDependencies,
    peerDependenciesMeta,
  } as LockEntry;
  return {
    manifest: { name: 'consumer', private: true, type: 'module', dependencies },
    lock: { name: 'consumer', lockfileVersion: 3, requires: true, packages: { '': { name: 'consumer', dependencies }, ...packages } },
  };
}

// What an app written against the package does, in each way it can load it.
const ESM_USE = `
import { wecomAuth, WeComClient, WeComApiError } from 'express-wecom-auth';
import { RedisTokenCache, createRedisSessionStore } from 'express-wecom-auth/redis';
import { startEmulator } from 'express-wecom-auth/emulator';
import { createMetrics } from 'express-wecom-auth/metrics';
const emulator = await startEmulator({ port: 0 });
const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000', apiBaseUrl: emulator.url });
const metrics = createMetrics();
const token = await wecom.client.getAccessToken();
const scraped = await metrics.registry.metrics();
metrics.close();
console.log(JSON.stringify({
  types: [typeof wecomAuth, typeof WeComClient, typeof WeComApiError, typeof RedisTokenCache, typeof createRedisSessionStore],
  metrics: scraped.includes('wecom_auth_wecom_calls_total{api="gettoken",errcode="0"} 1'),
  token: token.length > 0,
  page: wecom.views.renderHtml(wecom.views.context({ headers: {} }, 'signed-out')).includes('你已退出登录'),
}));
wecom.close();
await emulator.close();
`;
const CJS_USE = `
const { wecomAuth, WeComClient, WeComApiError } = require('express-wecom-auth');
const { RedisTokenCache, createRedisSessionStore } = require('express-wecom-auth/redis');
const { startEmulator } = require('express-wecom-auth/emulator');
(async () => {
  const emulator = await startEmulator({ port: 0 });
  const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000', apiBaseUrl: emulator.url });
  const token = await wecom.client.getAccessToken();
  console.log(JSON.stringify({
    types: [typeof wecomAuth, typeof WeComClient, typeof WeComApiError, typeof RedisTokenCache, typeof createRedisSessionStore],
    token: token.length > 0,
    from: require.resolve('express-wecom-auth'),
  }));
  wecom.close();
  await emulator.close();
})();
`;
const TS_APP = `
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { wecomAuth, type WeComAuth } from 'express-wecom-auth';
import { RedisTokenCache, createRedisSessionStore } from 'express-wecom-auth/redis';
import { startEmulator } from 'express-wecom-auth/emulator';

const emulator = await startEmulator({ port: 0 });
const redis = createClient({ url: 'redis://127.0.0.1:6379' });
const wecom: WeComAuth = wecomAuth({
  corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000',
  apiBaseUrl: emulator.url, tokenCache: new RedisTokenCache(redis),
});
// @ts-expect-error the options are typed: corpId is a string
wecomAuth({ corpId: 1, agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000' });

const app = express();
app.use(session({ store: createRedisSessionStore({ client: redis }), secret: 's', resave: false, saveUninitialized: false }));
app.use(wecom.router);
app.get('/me', wecom.requireUser(), (req, res) => {
  const agentId: number = req.wecomUser!.agentId;
  res.json({ agentId, userId: req.session.wecom?.userId });
});
app.use(wecom.errorHandler());

// A type that the package's .d.ts could not resolve (a missing @types package) would silently be
// any, and these assignments would compile.
// @ts-expect-error an express RequestHandler is not a number
export const router: number = wecom.router;
// @ts-expect-error an express ErrorRequestHandler is not a number
export const errorHandler: number = wecom.errorHandler();
// @ts-expect-error connect-redis's RedisStore is not a number
export const store: number = createRedisSessionStore({ client: redis });
`;
// CommonJS TypeScript: the imports compile to require(), which TypeScript allows for ESM packages under nodenext.
const CTS_APP = `
import { wecomAuth } from 'express-wecom-auth';
import { RedisTokenCache } from 'express-wecom-auth/redis';
const wecom = wecomAuth({ corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 'demo-secret', baseUrl: 'http://localhost:3000' });
const handler: import('express').RequestHandler = wecom.requireUser();
export = { wecom, handler, RedisTokenCache };
`;
const TS_MODES: Record<string, { compilerOptions: object; files: string[] }> = {
  node16: { compilerOptions: { module: 'node16' }, files: ['app.ts'] },
  nodenext: { compilerOptions: { module: 'nodenext' }, files: ['app.ts', 'app-cjs.cts'] },
  bundler: { compilerOptions: { module: 'preserve', moduleResolution: 'bundler' }, files: ['app.ts'] },
};

describe('the packed package, installed by npm into a consumer project', () => {
  let work: string;
  let consumer: string;
  let tarball: string;
  let files: string[];
  /** `tar -tv`'s mode column (`-rwxr-xr-x`) by path in the tarball. */
  let modes: Map<string, string>;
  let packed: Manifest;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'ewa-package-'));
    consumer = path.join(work, 'consumer');
    mkdirSync(consumer);
    // `npm pack` runs `prepare` (the build) and prints the tarball's name on its last line.
    const out = execFileSync(NPM, ['pack', '--silent', '--pack-destination', consumer], {
      cwd: ROOT,
      encoding: 'utf8',
      env: CLEAN_ENV,
      timeout: COMMAND_TIMEOUT_MS,
    });
    tarball = out.trim().split('\n').at(-1) ?? '';
    const listing = execFileSync('tar', ['-tvzf', path.join(consumer, tarball)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/));
    // The mode first, the path last (no path in the package has a space).
    files = listing.map((fields) => fields.at(-1) ?? '');
    modes = new Map(listing.map((fields) => [fields.at(-1) ?? '', fields[0] ?? '']));
    packed = JSON.parse(
      execFileSync('tar', ['-xzOf', path.join(consumer, tarball), 'package/package.json'], { encoding: 'utf8' }),
    ) as Manifest;
    const { manifest, lock } = consumerLock(packed, tarball, [...Object.keys(packed.peerDependencies ?? {}), '@types/node']);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify(manifest, null, 2));
    writeFileSync(path.join(consumer, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const install = await run(NPM, ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], consumer);
    assert.equal(
      install.code,
      0,
      `npm ci --offline in the consumer (it needs the npm cache that the repo's own \`npm ci\` filled):\n${install.stderr}`,
    );
    writeFileSync(path.join(consumer, 'use.mjs'), ESM_USE);
    writeFileSync(path.join(consumer, 'use.cjs'), CJS_USE);
    writeFileSync(path.join(consumer, 'app.ts'), TS_APP);
    writeFileSync(path.join(consumer, 'app-cjs.cts'), CTS_APP);
    for (const [mode, config] of Object.entries(TS_MODES)) {
      const compilerOptions = {
        target: 'es2022',
        lib: ['es2023'],
        types: ['node'],
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        ...config.compilerOptions,
      };
      writeFileSync(path.join(consumer, `tsconfig.${mode}.json`), JSON.stringify({ compilerOptions, files: config.files }, null, 2));
    }
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the build, the views, README and LICENSE: no sources, tests or source maps', () => {
    assert.deepEqual([...new Set(files.map((f) => f.split('/').slice(0, 2).join('/')))].sort(), [
      'package/LICENSE',
      'package/README.md',
      'package/dist',
      'package/package.json',
      'package/views',
    ]);
    assert.ok(files.includes('package/dist/index.js'));
    assert.ok(files.includes('package/dist/index.d.ts'));
    assert.ok(files.includes('package/views/layout.html'));
    assert.deepEqual(
      files.filter((f) => !/\.(js|d\.ts|html|json|md)$/.test(f) && f !== 'package/LICENSE'),
      [],
    );
  });

  it('keeps its two bins executable, with their #!/usr/bin/env node line, in the tarball and in dist/ after the build', () => {
    // `npm pack` ran `prepare`, the build: dist/ is the build's own output, the tarball keeps its modes.
    assert.deepEqual(Object.keys(packed.bin ?? {}).sort(), ['express-wecom-auth', 'wecom-emulator']);
    for (const [name, file] of Object.entries(packed.bin ?? {})) {
      const inTarball = `package/${path.posix.normalize(file)}`;
      assert.match(modes.get(inTarball) ?? 'missing', /^-..x..x..x/, `${name}: ${inTarball} in the tarball`);
      const built = path.join(ROOT, file);
      assert.equal(statSync(built).mode & 0o111, 0o111, `${name}: ${file} after the build is not executable`);
      assert.ok(readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node\n'), `${name}: ${file} lost its #! line`);
    }
  });

  it("carries repository, homepage and bugs into the published package.json (npm's page links to them)", () => {
    const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
    assert.deepEqual(
      { repository: packed.repository, homepage: packed.homepage, bugs: packed.bugs },
      { repository: own.repository, homepage: own.homepage, bugs: own.bugs },
    );
  });

  it('installs with its peers at the versions the repo is tested with (npm ls finds no problem)', async () => {
    const ls = await run(NPM, ['ls', '--all', '--offline'], consumer);
    assert.equal(ls.code, 0, ls.stdout + ls.stderr);
    assert.match(ls.stdout, /express-wecom-auth@/);
  });

  it('imports from ESM by its public names: the main entry, ./redis, ./emulator, ./metrics', async () => {
    const r = await run(process.execPath, ['use.mjs'], consumer);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      types: ['function', 'function', 'function', 'function', 'function'],
      metrics: true,
      token: true,
      page: true,
    });
    // The main entry must not need the optional peers (connect-redis, redis, prom-client).
    const main = readFileSync(path.join(consumer, 'node_modules', 'express-wecom-auth', 'dist', 'index.js'), 'utf8');
    assert.doesNotMatch(main, /connect-redis|from 'redis'|prom-client/);
  });

  it('loads from CommonJS with require() (no top-level await in what it loads)', async () => {
    const r = await run(process.execPath, ['use.cjs'], consumer);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { types: string[]; token: boolean; from: string };
    assert.deepEqual(out.types, ['function', 'function', 'function', 'function', 'function']);
    assert.equal(out.token, true);
    assert.ok(out.from.startsWith(path.join(realpathSync(consumer), 'node_modules', 'express-wecom-auth')), out.from);
  });

  it('type-checks from TypeScript with module node16, nodenext (ESM and CommonJS) and bundler', async () => {
    const results = await Promise.all(
      Object.keys(TS_MODES).map((mode) => run(process.execPath, [TSC, '-p', `tsconfig.${mode}.json`], consumer)),
    );
    Object.keys(TS_MODES).forEach((mode, i) =>
      assert.equal(results[i]?.code, 0, `module ${mode}:\n${results[i]?.stdout}${results[i]?.stderr}`),
    );
  });

  it("runs its two CLIs from the consumer's node_modules/.bin", async () => {
    const bin = path.join(consumer, 'node_modules', '.bin');
    const link = await run(
      path.join(bin, 'express-wecom-auth'),
      ['link', '--corp-id', 'ww1', '--agent-id', '2', '--url', 'https://a.example/x', '--json'],
      consumer,
    );
    assert.equal(link.code, 0, link.stderr);
    assert.equal((JSON.parse(link.stdout) as { appUrl: string }).appUrl, 'https://a.example/x');
    const help = await run(path.join(bin, 'wecom-emulator'), ['--help'], consumer);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /wecom-emulator/);
  });
});

describe("package.json's repository, homepage and bugs, and the README's links", () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

  it('name one GitHub repository: repository.url, homepage and bugs.url agree', () => {
    // git+https://…/.git is the form `npm pkg fix` writes (npm publish would rewrite any other and warn).
    const match = /^git\+https:\/\/github\.com\/([\w.-]+)\/([\w.-]+)\.git$/.exec(manifest.repository?.url ?? '');
    assert.ok(match, `repository.url ${manifest.repository?.url} is not git+https://github.com/OWNER/REPO.git`);
    const web = `https://github.com/${match[1]}/${match[2]}`;
    assert.equal(manifest.repository?.type, 'git');
    assert.equal(manifest.homepage, `${web}#readme`);
    assert.deepEqual(manifest.bugs, { url: `${web}/issues` });
  });

  it('will not be published naming the placeholder owner (prepublishOnly), and lets a real owner through', async () => {
    assert.equal(manifest.scripts?.['prepublishOnly'], 'node scripts/check-repository.mjs');
    const dir = mkdtempSync(path.join(tmpdir(), 'ewa-publish-'));
    try {
      const check = async (owner: string) => {
        const named = JSON.stringify(manifest).replaceAll(/github\.com\/[\w.-]+\//g, `github.com/${owner}/`);
        writeFileSync(path.join(dir, 'package.json'), named);
        return run(process.execPath, [path.join(ROOT, 'scripts', 'check-repository.mjs'), dir], dir);
      };
      const placeholder = await check('OWNER');
      assert.equal(placeholder.code, 1);
      assert.match(placeholder.stderr, /placeholder repository \(repository\.url, homepage, bugs\.url\)/);
      const real = await check('example-owner');
      assert.equal(real.code, 0, real.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('links the README to files of the repository by plain relative paths, which GitHub and npm both resolve', () => {
    // npm's page rewrites a relative link to <repository>/blob/HEAD/<path> (and an image to
    // raw.githubusercontent.com) when repository is on GitHub; a path that leaves the repository
    // (../) or starts at / is one it would get wrong, and a missing file is a 404 on both.
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)\)|(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? m[2] ?? '');
    const relative = targets.filter((t) => !/^[a-z][a-z+.-]*:/i.test(t) && !t.startsWith('#'));
    assert.ok(relative.length >= 5, `found only ${relative.length} relative links`);
    for (const target of relative) {
      const file = decodeURIComponent(target.split('#')[0] ?? '');
      assert.ok(!file.startsWith('/') && !file.split('/').includes('..'), `README links to ${target}: keep links inside the repository`);
      assert.ok(existsSync(path.join(ROOT, file)), `README links to ${target}, which does not exist`);
    }
  });
});
