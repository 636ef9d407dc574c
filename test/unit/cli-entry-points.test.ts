// express-wecom-auth send-card | menu | homepage, run as a child process against a real emulator.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string>): Promise<Run> {
  // Only what the test names: no WECOM_* from the environment the tests run in.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(WECOM_|PUBLIC_URL$|EMULATOR_PORT$|PORT$)/.test(k)));
  return new Promise((resolve) => {
    // A CLI that hangs is killed after 30 s; the test then fails with what it printed.
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const killed = err?.killed ? `\n(killed after 30 s)` : '';
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr + killed });
    });
  });
}

describe('express-wecom-auth send-card, menu, homepage', () => {
  let emulator: Emulator;
  let env: Record<string, string>;
  let dir: string;

  before(async () => {
    emulator = await startEmulator({ port: 0 });
    env = { EMULATOR_PORT: new URL(emulator.url).port, PUBLIC_URL: 'http://localhost:3000' };
    dir = mkdtempSync(path.join(tmpdir(), 'ewa-cli-'));
  });
  after(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('send-card: a relative --url resolved against PUBLIC_URL, sent once, the client page named', async () => {
    const before = emulator.callCount('message/send');
    const r = await run(
      [
        'send-card',
        '--to',
        'zhangsan',
        '--title',
        '订单 42',
        '--description',
        '请审批',
        '--url',
        '/orders/42?tab=items',
        '--button',
        '去审批',
      ],
      env,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sent a textcard \(msgid \S+\) through the emulator at http:\/\/127\.0\.0\.1:\d+\.$/m);
    assert.match(r.stdout, /It opens http:\/\/localhost:3000\/orders\/42\?tab=items$/m);
    assert.match(r.stdout, new RegExp(`${emulator.url}/client\\?user=zhangsan`));
    assert.equal(emulator.callCount('message/send'), before + 1);
    const card = emulator.inbox('zhangsan').at(-1);
    assert.deepEqual(card?.content, {
      title: '订单 42',
      description: '请审批',
      url: 'http://localhost:3000/orders/42?tab=items',
      btntxt: '去审批',
    });
  });

  it('send-card --type news / template_card, --json', async () => {
    const news = await run(
      [
        'send-card',
        '--to',
        'lisi',
        '--title',
        '月报',
        '--description',
        '三月',
        '--url',
        'https://app.example.com/r/3',
        '--type',
        'news',
        '--json',
      ],
      env,
    );
    assert.equal(news.code, 0, news.stderr);
    const result = JSON.parse(news.stdout) as { msgid: string; invalidUsers: string[] };
    assert.equal(emulator.inbox('lisi').at(-1)?.msgid, result.msgid);
    assert.deepEqual(result.invalidUsers, []);
    const card = await run(
      ['send-card', '--to', 'lisi', '--title', '报销', '--description', '待审批', '--url', '/claims/9', '--type', 'template_card'],
      env,
    );
    assert.equal(card.code, 0, card.stderr);
    assert.deepEqual(emulator.inbox('lisi').at(-1)?.content['card_action'], { type: 1, url: 'http://localhost:3000/claims/9' });
  });

  it('some recipients refused: sent to the rest, each refused one on stderr, exit 3', async () => {
    const r = await run(['send-card', '--to', 'zhangsan|ghost', '--to', 'wangwu', '--title', 't', '--description', 'd', '--url', '/'], env);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /not delivered to users ghost, wangwu \(unknown, or outside the app's visible range\)/);
  });

  it('nobody valid: exit 1 with the 81013 explanation; nothing delivered', async () => {
    const before = emulator.messages.length;
    const r = await run(['send-card', '--to', 'ghost', '--title', 't', '--description', 'd', '--url', '/'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /81013: no recipient is valid \(users ghost\)/);
    assert.equal(emulator.messages.length, before);
  });

  it('an over-long title: nothing sent, exit 2; --truncate sends it cut and says so', async () => {
    const title = '很长的标题'.repeat(10); // 150 bytes
    const before = emulator.callCount('message/send');
    const refused = await run(['send-card', '--to', 'zhangsan', '--title', title, '--description', 'd', '--url', '/'], env);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /nothing sent: message\/send: textcard\.title is 150 bytes; WeCom keeps the first 128 bytes/);
    assert.equal(emulator.callCount('message/send'), before);
    const cut = await run(['send-card', '--to', 'zhangsan', '--title', title, '--description', 'd', '--url', '/', '--truncate'], env);
    assert.equal(cut.code, 0, cut.stderr);
    assert.match(cut.stdout, /textcard\.title was cut from 150 to 128 bytes/);
    assert.equal(emulator.inbox('zhangsan').at(-1)?.content['title'], title.slice(0, 42));
  });

  it('menu set / get / delete, with groups and paths on PUBLIC_URL', async () => {
    const set = await run(
      [
        'menu',
        'set',
        '--item',
        '我的订单=/orders?tab=open',
        '--item',
        '更多>帮助=https://help.example.com/',
        '--item',
        '更多>设置=/settings',
      ],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(emulator.fixture.corps[0]?.apps[0]?.menu, [
      { type: 'view', name: '我的订单', url: 'http://localhost:3000/orders?tab=open' },
      {
        name: '更多',
        sub_button: [
          { type: 'view', name: '帮助', url: 'https://help.example.com/' },
          { type: 'view', name: '设置', url: 'http://localhost:3000/settings' },
        ],
      },
    ]);
    const get = await run(['menu', 'get', '--json'], env);
    assert.equal((JSON.parse(get.stdout) as { button: unknown[] }).button.length, 2);
    const tooMany = await run(['menu', 'set', '--item', 'a=/a', '--item', 'b=/b', '--item', 'c=/c', '--item', 'd=/d'], env);
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.stderr, /button must list 1 to 3 top-level buttons, got 4\. \(WeCom would answer 40016\)/);
    const file = path.join(dir, 'menu.json');
    writeFileSync(file, JSON.stringify({ button: [{ type: 'view', name: '首页', url: '/' }] }));
    assert.equal((await run(['menu', 'set', '--file', file], env)).code, 0);
    assert.deepEqual(emulator.fixture.corps[0]?.apps[0]?.menu, [{ type: 'view', name: '首页', url: 'http://localhost:3000/' }]);
    assert.equal((await run(['menu', 'delete'], env)).code, 0);
    assert.match((await run(['menu', 'get'], env)).stdout, /has no custom menu/);
  });

  it('homepage set / get', async () => {
    const set = await run(['homepage', 'set', '--url', '/?from=workbench'], env);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await run(['homepage', 'get'], env)).stdout.trim(), 'http://localhost:3000/?from=workbench');
    assert.equal(emulator.fixture.corps[0]?.apps[0]?.homeUrl, 'http://localhost:3000/?from=workbench');
  });

  it('bad usage exits 2 with a one-line reason; no emulator running exits 1 naming how to start one', async () => {
    for (const args of [
      ['send-card', '--title', 't', '--description', 'd', '--url', '/'],
      ['send-card', '--to', 'zhangsan', '--description', 'd', '--url', '/'],
      ['send-card', '--to', 'zhangsan', '--title', 't', '--description', 'd', '--url', 'orders'],
      ['send-card', '--to', 'zhangsan', '--title', 't', '--description', 'd', '--url', '/', '--type', 'image'],
      ['menu', 'set', '--item', 'no-url'],
      ['menu', 'frob'],
      ['homepage', 'set', '--url', 'javascript:alert(1)'],
    ]) {
      const r = await run(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^express-wecom-auth: .+\(try --help\)\n$/);
    }
    const real = await run(['menu', 'get'], { WECOM_EMULATOR: '0' });
    assert.equal(real.code, 2);
    assert.match(real.stderr, /set WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET/);
    const closed = await startEmulator({ port: 0 });
    const port = new URL(closed.url).port;
    await closed.close();
    const none = await run(['menu', 'get'], { EMULATOR_PORT: port });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /cannot reach the emulator at http:\/\/127\.0\.0\.1:\d+: start it with "npm start"/);
  });
});
