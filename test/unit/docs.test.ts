/**
 * The examples in README.md and docs/ cannot rot: every TypeScript or JavaScript block is type
 * checked against the package's own sources (imports of `express-wecom-auth…` resolve to src/),
 * every JSON block parses, and every shell block names only npm scripts and CLI commands that exist.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'test-output', 'doc-snippets');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
}

function blocksOf(file: string): Block[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''); i++) body.push(lines[i] ?? '');
    blocks.push({ file, line: start + 1, lang: open[2] ?? '', code: body.join('\n') });
  }
  return blocks;
}

const FILES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const BLOCKS = FILES.flatMap(blocksOf);
const CODE = new Set(['ts', 'typescript', 'js', 'javascript']);
const SHELL = new Set(['sh', 'bash', 'shell']);
/** Blocks that are not code to run: diagrams, HTTP exchanges, PromQL, plain text. */
const NOT_CODE = new Set(['text', 'http', 'promql', 'diff', 'nginx']);

/** Names the examples use without defining them: what an app around the example would have. */
const AMBIENT = `
import type { Express, Request, Response, NextFunction, Router } from 'express';
import type { WeComAuth } from 'express-wecom-auth';
import type { RedisClientType } from 'redis';
declare global {
  const app: Express;
  const wecom: WeComAuth;
  const apiRouter: Router;
  const redis: RedisClientType;
  const audit: { insert(row: Record<string, unknown>): Promise<void> };
  const myLogger: { warn(fields: object, message: string): void };
  const req: Request;
  const res: Response;
  const next: NextFunction;
  // Mini-program and in-page (browser) examples: WeCom's JS APIs and the page.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const wx: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ww: any;
  const location: { href: string };
}
export {};
`;

function tsconfig(files: string[]): object {
  return {
    compilerOptions: {
      target: 'es2023',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2023'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      allowJs: true,
      checkJs: false,
      verbatimModuleSyntax: false,
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
      paths: {
        'express-wecom-auth': [path.join(ROOT, 'src/index.ts')],
        'express-wecom-auth/redis': [path.join(ROOT, 'src/redis/index.ts')],
        'express-wecom-auth/emulator': [path.join(ROOT, 'src/emulator/index.ts')],
        'express-wecom-auth/metrics': [path.join(ROOT, 'src/metrics.ts')],
        'express-wecom-auth/testing': [path.join(ROOT, 'src/testing.ts')],
      },
    },
    files,
  };
}

describe('the examples in README.md and docs/', () => {
  it('every fenced block says what it is', () => {
    const unlabelled = BLOCKS.filter((b) => b.lang === '');
    assert.deepEqual(
      unlabelled.map((b) => `${b.file}:${b.line}`),
      [],
      'label each block (ts, sh, json, text…)',
    );
    const unknown = BLOCKS.filter(
      (b) => b.lang !== '' && !CODE.has(b.lang) && !SHELL.has(b.lang) && b.lang !== 'json' && !NOT_CODE.has(b.lang),
    );
    assert.deepEqual(
      unknown.map((b) => `${b.file}:${b.line} ${b.lang}`),
      [],
    );
  });

  it('every TypeScript/JavaScript block type-checks against the package', async () => {
    const code = BLOCKS.filter((b) => CODE.has(b.lang));
    assert.ok(code.length >= 10, `found ${code.length} blocks`);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    const names = code.map((b, i) => {
      // JavaScript blocks run in a mini program or a page, against WeCom's JS APIs: checked for syntax.
      const ext = b.lang.startsWith('j') ? 'js' : 'ts';
      const name = `${b.file.replace(/[/.]/g, '_')}_L${b.line}_${i}.${ext}`;
      // Each block is its own module; top-level await is fine in an ESM app.
      writeFileSync(path.join(OUT, name), `${b.code}\nexport {};\n`);
      return name;
    });
    writeFileSync(path.join(OUT, 'ambient.d.ts'), AMBIENT);
    writeFileSync(path.join(OUT, 'tsconfig.json'), JSON.stringify(tsconfig(['ambient.d.ts', ...names]), null, 2));
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [TSC, '-p', path.join(OUT, 'tsconfig.json')],
        // tsc takes seconds; one that hangs is killed after 2 minutes and the test fails.
        { cwd: OUT, maxBuffer: 10 * 1024 * 1024, timeout: 120_000 },
        (err, stdout, stderr) => {
          resolve({ code: err ? 1 : 0, out: stdout + stderr + (err?.killed ? '\n(tsc killed after 2 minutes)' : '') });
        },
      );
    });
    // Name the block, not the generated file, in the failure.
    const readable = result.out.replace(
      /(\S+?)_L(\d+)_\d+\.[jt]s/g,
      (_m, file: string, line: string) => `${file.replace(/_md$/, '.md').replace(/_/g, '/').replace('/md', '.md')}:${line}`,
    );
    assert.equal(result.code, 0, readable);
  });

  it('every JSON block parses', () => {
    for (const b of BLOCKS.filter((x) => x.lang === 'json')) {
      assert.doesNotThrow(() => JSON.parse(b.code), `${b.file}:${b.line}`);
    }
  });

  it('every shell block names npm scripts and CLI commands that exist', () => {
    const scripts = Object.keys(
      (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const cli = readFileSync(path.join(ROOT, 'src', 'cli.ts'), 'utf8');
    for (const b of BLOCKS.filter((x) => SHELL.has(x.lang))) {
      for (const raw of b.code.split('\n')) {
        const line = raw.replace(/#.*$/, '').trim();
        for (const m of line.matchAll(/npm run ([\w:-]+)/g))
          assert.ok(scripts.includes(m[1] ?? ''), `${b.file}:${b.line}: no npm script "${m[1]}"`);
        for (const m of line.matchAll(/^(?:npx )?express-wecom-auth ([a-z-]+)/g)) {
          assert.ok(cli.includes(`'${m[1]}'`), `${b.file}:${b.line}: no CLI command "${m[1]}"`);
        }
      }
    }
  });
});
