/**
 * Operations: the diagnostics channels see one event per step of a login and a failed login of
 * each cause; the Prometheus metrics built on them count right; the audit hook hears every
 * failure. (Every flow test also checks that no event of the suite holds a secret: helpers/flow.ts.)
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import session from 'express-session';
import supertest from 'supertest';
import { Registry } from 'prom-client';
import { setupFlow, login, visitWeCom, appPath, publishedEvents, HTML, WECHAT_UA, openPage } from '../helpers/flow.ts';
import type { FlowSetup } from '../helpers/flow.ts';
import { channels } from '../../src/diagnostics.ts';
import type { CredentialEvent, LoginFailedEvent, LoginSucceededEvent, WeComCallEvent } from '../../src/diagnostics.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { LoginFailure } from '../../src/express/login-error.ts';

const events = (channel: string) => publishedEvents.filter((e) => e.channel === channel).map((e) => e.payload);

describe('diagnostics channels', () => {
  let flow: FlowSetup;
  const audit: LoginFailure[] = [];
  before(async () => {
    flow = await setupFlow({
      wecom: {
        hooks: {
          onLogin: (user) => {
            if (user.userId === 'lisi' && refuseLisi) throw new Error('not today');
            return undefined;
          },
          onLoginFailed: (failure) => {
            audit.push(failure);
          },
        },
      },
    });
  });
  after(async () => {
    await flow.close();
  });
  beforeEach(() => {
    publishedEvents.length = 0;
    audit.length = 0;
    refuseLisi = false;
  });
  let refuseLisi = false;

  it('a login publishes: started, the WeCom calls (gettoken, exchange, range check), succeeded', async () => {
    await login(flow.agent(), '/orders/1', { user: 'zhangsan' });
    assert.deepEqual(
      publishedEvents.map((e) => (e.channel === channels.wecomCall ? `call ${(e.payload as WeComCallEvent).api}` : e.channel)),
      [
        channels.loginStarted,
        'call gettoken',
        channels.credential, // access_token fetched
        'call user/getuserinfo',
        'call user/get',
        channels.loginSucceeded,
      ],
    );
    const success = events(channels.loginSucceeded)[0] as LoginSucceededEvent;
    assert.equal(success.userId, 'zhangsan');
    assert.equal(success.userType, 'member');
    assert.equal(success.flow, 'oauth');
    assert.equal(success.duplicate, false);
    assert.ok(success.callbackMs > 0 && success.loginMs >= 0);
    const exchange = (events(channels.wecomCall) as WeComCallEvent[]).find((e) => e.api === 'user/getuserinfo');
    assert.equal(exchange?.errcode, 0);
    assert.equal(exchange?.retried, false);
  });

  it('a failed login of each cause: one loginFailed event with its reason, and the audit hook hears it', async () => {
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['bad-request', () => supertest(flow.app).get('/auth/wecom/callback?state=a&state=b').set('Accept', HTML)],
      ['state', () => supertest(flow.app).get('/auth/wecom/callback?code=abc&state=unknown1&attempt=1').set('Accept', HTML)],
      ['open-in-wecom', () => openPage(supertest(flow.app), '/orders/1', { headers: { 'User-Agent': WECHAT_UA } })],
      ['visibility', () => login(flow.agent(), '/orders/1', { user: 'wangwu' })],
      [
        'wecom',
        async () => {
          flow.emulator.faults.failNext(60020, 1, 'user/getuserinfo');
          return login(flow.agent(), '/orders/1', { user: 'zhangsan' });
        },
      ],
      [
        'hook',
        () => {
          refuseLisi = true;
          return login(flow.agent(), '/orders/1', { user: 'lisi' });
        },
      ],
    ];
    for (const [reason, run] of cases) {
      publishedEvents.length = 0;
      audit.length = 0;
      await run();
      const failed = events(channels.loginFailed) as LoginFailedEvent[];
      assert.equal(failed.length, 1, `${reason}: one event`);
      assert.equal(failed[0]?.reason, reason);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(audit.length, 1, `${reason}: the audit hook`);
      assert.equal(audit[0]?.reason, reason);
    }
    const byReason = (r: string) => audit.find((a) => a.reason === r);
    // Reset above per case: check the last specifics on fresh runs.
    publishedEvents.length = 0;
    await login(flow.agent(), '/orders/1', { user: 'wangwu' });
    const visibility = events(channels.loginFailed)[0] as LoginFailedEvent;
    assert.deepEqual([visibility.errcode, visibility.api, visibility.userId, visibility.page], [60011, 'user/get', 'wangwu', 'no-access']);
    assert.equal(byReason('nothing'), undefined);
  });

  it('a session store that fails: reason session-store', async () => {
    class DownStore extends session.MemoryStore {
      override set(_sid: string, _sess: session.SessionData, cb?: (err?: unknown) => void): void {
        cb?.(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      }
    }
    const down = await setupFlow({ store: new DownStore(), emulator: flow.emulator });
    try {
      publishedEvents.length = 0;
      const res = await login(down.agent(), '/orders/1');
      assert.equal(res.status, 503);
      assert.deepEqual(
        (events(channels.loginFailed) as LoginFailedEvent[]).map((e) => e.reason),
        ['session-store'],
      );
    } finally {
      await down.close();
    }
  });

  it('a token fetch, a revocation (invalidated, fetched again) and a cool-down after a wrong secret are credential events', async () => {
    await flow.wecom.client.getAccessToken();
    publishedEvents.length = 0;
    flow.emulator.revokeTokens();
    await login(flow.agent(), '/orders/1', { user: 'zhangsan' });
    const credentials = events(channels.credential) as CredentialEvent[];
    assert.deepEqual(
      credentials.map((e) => `${e.credential} ${e.action}`),
      ['access_token invalidated', 'access_token fetched'],
    );
    assert.equal(credentials[1]?.corpId, 'wwdemocorp0000001');
    assert.match(credentials[1]?.app ?? '', /^1000002:[0-9a-f]{16}$/);
    assert.ok((credentials[1]?.lifetimeMs ?? 0) > 60_000);
    const calls = (events(channels.wecomCall) as WeComCallEvent[]).map((e) => `${e.api} ${e.errcode} ${e.retried}`);
    assert.deepEqual(
      calls.slice(0, 3),
      ['user/getuserinfo 40014 false', 'gettoken 0 false', 'user/getuserinfo 0 true'],
      'a revoked token: 40014, refreshed, replayed',
    );

    const wrong = await setupFlow({ emulator: flow.emulator, wecom: { secret: 'wrong-secret' } });
    try {
      publishedEvents.length = 0;
      await login(wrong.agent(), '/orders/1');
      const cooldown = (events(channels.credential) as CredentialEvent[]).find((e) => e.action === 'cooldown');
      assert.equal(cooldown?.errcode, 40001);
      assert.equal(cooldown?.cooldownMs, 30_000);
    } finally {
      await wrong.close();
    }
  });

  it('a duplicate delivery publishes a success marked duplicate, with no WeCom call of its own', async () => {
    const agent = flow.agent();
    const start = await openPage(agent, '/orders/d');
    const wecom = await visitWeCom(start.headers.location as string);
    publishedEvents.length = 0;
    await Promise.all([1, 2].map(() => agent.get(appPath(wecom.location)).set('Accept', HTML)));
    const successes = events(channels.loginSucceeded) as LoginSucceededEvent[];
    assert.deepEqual(successes.map((e) => e.duplicate).sort(), [false, true]);
    assert.equal((events(channels.wecomCall) as WeComCallEvent[]).filter((e) => e.api === 'user/getuserinfo').length, 1);
  });
});

describe('Prometheus metrics (express-wecom-auth/metrics)', () => {
  it('counts logins by result and reason, WeCom calls by api and errcode, and their durations', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    const flow = await setupFlow();
    try {
      for (const user of ['zhangsan', 'lisi', 'zhangsan']) await login(flow.agent(), '/orders/1', { user });
      await login(flow.agent(), '/orders/1', { user: 'wangwu' });
      await supertest(flow.app).get('/auth/wecom/callback?state=a&state=b').set('Accept', HTML);
      const res = await supertest(flow.app).get('/metrics').buffer(true);
      assert.equal(res.status, 404, 'the test app has no /metrics route: the handler is mounted by the app');
      const text = await registry.metrics();
      const value = (line: string) =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith(line))
            ?.slice(line.length)
            .trim(),
        );
      assert.equal(value('wecom_auth_logins_total{result="success",reason=""}'), 3);
      assert.equal(value('wecom_auth_logins_total{result="failure",reason="visibility"}'), 1);
      assert.equal(value('wecom_auth_logins_total{result="failure",reason="bad-request"}'), 1);
      assert.equal(value('wecom_auth_login_started_total{flow="oauth"}'), 4);
      assert.equal(value('wecom_auth_wecom_calls_total{api="gettoken",errcode="0"}'), 1);
      assert.equal(value('wecom_auth_wecom_calls_total{api="user/getuserinfo",errcode="0"}'), 4);
      // zhangsan's verdict is remembered: user/get for zhangsan, lisi (0) and wangwu (60011).
      assert.equal(value('wecom_auth_wecom_calls_total{api="user/get",errcode="0"}'), 2);
      assert.equal(value('wecom_auth_wecom_calls_total{api="user/get",errcode="60011"}'), 1);
      assert.equal(value('wecom_auth_wecom_call_duration_seconds_count{api="user/getuserinfo"}'), 4);
      assert.equal(value('wecom_auth_callback_duration_seconds_count{result="success"}'), 3);
      assert.equal(value('wecom_auth_login_duration_seconds_count{flow="oauth"}'), 3);
    } finally {
      metrics.close();
      await flow.close();
    }
  });
});
