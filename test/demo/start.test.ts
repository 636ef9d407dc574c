/**
 * `npm start` as a newcomer runs it: the demo and its emulator in one process, default settings.
 * The app has a homepage and a custom menu at once, so the emulator's WeCom shows the three entry
 * points. The first login must be the product's: the silent snsapi_base login, its code exchanged through
 * user/getuserinfo with the agentid (UserId and DeviceId), no consent page, no private profile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WECOM_UA } from '../helpers/flow.ts';
import { startDemo } from './spawn-demo.ts';
import type { DemoProcess } from './spawn-demo.ts';

describe('npm start (the demo with its emulator, default settings)', () => {
  let demo: DemoProcess | undefined;
  let appUrl = '';
  let emulatorUrl = '';
  before(async () => {
    demo = await startDemo();
    ({ appUrl, emulatorUrl } = demo);
  });
  after(() => demo?.stop());

  it("sets the app's homepage and custom menu on the emulator: 张三's WeCom has something to tap", async () => {
    const html = await (await fetch(`${emulatorUrl}/client?user=zhangsan`)).text();
    assert.doesNotMatch(html, /no homepage|no custom menu/);
    const links = (entry: string) =>
      [...html.matchAll(new RegExp(`<a[^>]*data-entry="${entry}"[^>]*href="([^"]+)"`, 'g'))].map((m) =>
        (m[1] ?? '').replaceAll('&amp;', '&'),
      );
    assert.deepEqual(links('homepage'), [`${appUrl}/`]);
    assert.deepEqual(links('menu'), [`${appUrl}/orders/42?tab=items`, `${appUrl}/?tab=orders#/orders/7`, `${appUrl}/send-card`]);
    assert.match(
      demo?.output() ?? '',
      new RegExp(`${emulatorUrl.replaceAll('.', '\\.')}/client\\?user=zhangsan`),
      'the start line names the page',
    );
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
