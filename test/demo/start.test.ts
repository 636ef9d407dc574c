/**
 * `npm start` as a newcomer runs it: the demo and its emulator in one process, default settings.
 * The first login must be the product's: the silent snsapi_base login, its code exchanged through
 * user/getuserinfo with the agentid (UserId and DeviceId), no consent page, no private profile.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../helpers/redis-server.ts';
import { startProcess, waitUntilReady, type Started } from '../helpers/processes.ts';
import { WECOM_UA } from '../helpers/flow.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('npm start (the demo with its emulator, default settings)', () => {
  let child: Started | undefined;
  let appUrl = '';
  let emulatorUrl = '';
  before(async () => {
    // Two different ports: freePort() releases its port, so two calls can hand out the same one.
    const port = await freePort();
    let emulatorPort = await freePort();
    while (emulatorPort === port) emulatorPort = await freePort();
    appUrl = `http://localhost:${port}`;
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    const started = startProcess(process.execPath, ['src/demo/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port), EMULATOR_PORT: String(emulatorPort) },
    });
    child = started;
    await waitUntilReady(started, 'the demo (its "demo on" line)', () => started.output().includes('demo on'), { timeoutMs: 20_000 });
  });
  after(async () => {
    await child?.stop();
  });

  it('logs in with snsapi_base, exchanging the code through user/getuserinfo with the agentid', async () => {
    const start = await fetch(`${appUrl}/`, { redirect: 'manual', headers: { 'user-agent': WECOM_UA, accept: 'text/html' } });
    assert.equal(start.status, 302);
    const authorize = new URL(start.headers.get('location') ?? '');
    assert.equal(authorize.origin + authorize.pathname, `${emulatorUrl}/connect/oauth2/authorize`);
    assert.equal(authorize.searchParams.get('scope'), 'snsapi_base');
    assert.equal(authorize.searchParams.get('agentid'), '1000002');
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');

    const wecom = await fetch(authorize, { redirect: 'manual', headers: { 'user-agent': WECOM_UA, 'x-wecom-emulator-user': 'zhangsan' } });
    assert.equal(wecom.status, 302);
    const callback = new URL(wecom.headers.get('location') ?? '');
    const back = await fetch(`${appUrl}${callback.pathname}${callback.search}`, {
      redirect: 'manual',
      headers: { 'user-agent': WECOM_UA, accept: 'text/html', cookie },
    });
    assert.equal(back.status, 302);
    assert.equal(back.headers.get('location'), '/');
    const session =
      back.headers
        .getSetCookie()
        .find((c) => c.startsWith('wecom.sid='))
        ?.split(';')[0] ?? '';
    const me = await fetch(`${appUrl}/me`, { headers: { cookie: session, accept: 'application/json' } });
    const user = ((await me.json()) as { user: { userId: string; deviceId?: string; profile?: unknown } }).user;
    assert.equal(user.userId, 'zhangsan');
    assert.ok(user.deviceId, 'DeviceId from user/getuserinfo');
    assert.equal(user.profile, undefined, 'no private profile without consent');

    const { calls } = (await (await fetch(`${emulatorUrl}/__emulator/calls`)).json()) as {
      calls: Array<{ api: string; query: Record<string, string> }>;
    };
    const exchanges = calls.filter((c) => c.api.endsWith('getuserinfo'));
    assert.deepEqual(
      exchanges.map((c) => [c.api, c.query['agentid']]),
      [['user/getuserinfo', '1000002']],
    );
    assert.equal(calls.filter((c) => c.api === 'auth/getuserdetail').length, 0);

    // curl /metrics after the login: the counters and histograms with the right values.
    const metrics = await (await fetch(`${appUrl}/metrics`)).text();
    const value = (line: string) =>
      Number(
        metrics
          .split('\n')
          .find((l) => l.startsWith(line))
          ?.slice(line.length)
          .trim(),
      );
    assert.equal(value('wecom_auth_logins_total{result="success",reason=""}'), 1);
    assert.equal(value('wecom_auth_login_started_total{flow="oauth"}'), 1);
    assert.equal(value('wecom_auth_wecom_calls_total{api="gettoken",errcode="0"}'), 1);
    assert.equal(value('wecom_auth_wecom_calls_total{api="user/getuserinfo",errcode="0"}'), 1);
    assert.equal(value('wecom_auth_wecom_calls_total{api="user/get",errcode="0"}'), 1);
    assert.equal(value('wecom_auth_callback_duration_seconds_count{result="success"}'), 1);
    assert.equal(value('wecom_auth_credential_events_total{credential="access_token",action="fetched"}'), 1);
    const age = value('wecom_auth_credential_age_seconds{credential="access_token"}');
    assert.ok(age >= 0 && age < 60, `token age ${age} s`);

    // The status page (behind the guard) draws the same counts.
    const status = await fetch(`${appUrl}/status`, { headers: { cookie: session, accept: 'text/html', 'accept-language': 'en' } });
    assert.equal(status.status, 200);
    const html = await status.text();
    assert.match(html, /<svg[^>]+role="img"/);
    assert.match(html, /data-field="status">1 successful, 0 failed logins/);
  });
});
