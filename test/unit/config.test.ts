import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/config.ts';
import { WeComOptionsError } from '../../src/options.ts';
import type { WeComAuthOptions } from '../../src/config.ts';

const good: WeComAuthOptions = { corpId: 'wwdemocorp0000001', agentId: 1000002, secret: 's', baseUrl: 'https://app.example.com' };

function fails(options: unknown, option: string, says: RegExp): void {
  assert.throws(
    () => resolveConfig(options as WeComAuthOptions),
    (err: unknown) => {
      assert.ok(err instanceof WeComOptionsError);
      assert.equal(err.option, option);
      assert.match(err.message, says);
      return true;
    },
  );
}

describe('options', () => {
  it('derives defaults: routes, callback URL, secure cookies from an https baseUrl', () => {
    const c = resolveConfig(good);
    assert.equal(c.callbackUrl, 'https://app.example.com/auth/wecom/callback');
    assert.equal(c.routes.login, '/auth/wecom/login');
    assert.equal(c.scope, 'snsapi_base');
    assert.equal(c.identityEndpoint, 'user/getuserinfo');
    assert.equal(c.secureCookies, true);
    assert.equal(resolveConfig({ ...good, baseUrl: 'http://localhost:3000' }).secureCookies, false);
    assert.ok(Object.isFrozen(c));
  });
  it('accepts agentId as a numeric string (from an environment variable)', () => {
    assert.equal(resolveConfig({ ...good, agentId: '1000002' }).agentId, 1000002);
  });
  it('says how to fix each mistake', () => {
    fails({ ...good, corpId: '' }, 'corpId', /corporation ID/);
    fails({ ...good, corpId: 'ww demo' }, 'corpId', /does not look like/);
    fails({ ...good, agentId: 'abc' }, 'agentId', /positive whole number/);
    fails({ ...good, agentId: -1 }, 'agentId', /positive whole number/);
    fails({ ...good, secret: undefined }, 'secret', /Secret/);
    fails({ ...good, baseUrl: 'app.example.com' }, 'baseUrl', /absolute URL/);
    fails({ ...good, baseUrl: 'ftp://app.example.com' }, 'baseUrl', /https:\/\//);
    fails({ ...good, baseUrl: 'https://app.example.com/app' }, 'baseUrl', /origin only/);
    fails({ ...good, scope: 'snsapi_userinfo' }, 'scope', /snsapi_base/);
    fails({ ...good, routes: { login: 'auth/login' } }, 'routes.login', /path/);
    fails({ ...good, routes: { login: '/x', callback: '/x' } }, 'routes', /different/);
    fails({ ...good, defaultReturnTo: '//evil.example' }, 'defaultReturnTo', /one leading/);
    fails({ ...good, defaultReturnTo: '/\\evil.example' }, 'defaultReturnTo', /one leading/);
    fails({ ...good, afterLogout: '/\\evil.example' }, 'afterLogout', /one leading/);
    fails({ ...good, defaultReturnTo: 5 }, 'defaultReturnTo', /path/);
    fails({ ...good, profile: { fields: ['__proto__'] } }, 'profile.fields', /field names/);
    fails({ ...good, transactionTtlMs: 0 }, 'transactionTtlMs', /at least 1000/);
    fails({ ...good, agentid: 1 }, 'agentid', /did you mean `agentId`/);
    fails({ ...good, baseURL: 'x' }, 'baseURL', /did you mean `baseUrl`/);
    fails(null, 'options', /object/);
  });
  it('never puts the secret in an error message', () => {
    try {
      resolveConfig({ ...good, secret: 'top-secret-value', baseUrl: 'nope' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(!String(err).includes('top-secret-value'));
    }
  });
});

describe('nested options', () => {
  it('are checked too: unknown keys, cookie names, colliding paths', () => {
    fails(
      { ...good, miniProgram: { sessionSecret: 's', checkvisibility: true } },
      'miniProgram.checkvisibility',
      /did you mean `miniProgram.checkVisibility`/,
    );
    fails({ ...good, miniProgram: { sessionSecret: 's', cookieName: 'bad name' } }, 'miniProgram.cookieName', /cookie name/);
    fails({ ...good, routes: { logn: '/x' } }, 'routes.logn', /did you mean `routes.login`/);
    fails({ ...good, jssdk: { path: '/auth/wecom/login' } }, 'routes', /different paths/);
    fails({ ...good, jssdk: { requireuser: false } }, 'jssdk.requireuser', /did you mean `jssdk.requireUser`/);
    fails({ ...good, apiBaseUrl: 'https://qyapi.example/?x=1' }, 'apiBaseUrl', /without query/);
    // Checked by wecomAuth itself (named so), with the client's rules: every phase and the total.
    fails({ ...good, timeouts: { respons: 5000 } }, 'timeouts.respons', /did you mean `timeouts.response`/);
    fails({ ...good, timeouts: { total: 0 } }, 'timeouts.total', /at least 1/);
  });
  it('the mini-program login checks the visible range unless the app turned the check off', () => {
    assert.equal(resolveConfig({ ...good, miniProgram: { sessionSecret: 's' } }).miniProgram?.checkVisibility, true);
    assert.equal(
      resolveConfig({ ...good, checkVisibility: false, miniProgram: { sessionSecret: 's' } }).miniProgram?.checkVisibility,
      false,
    );
    assert.equal(
      resolveConfig({ ...good, miniProgram: { sessionSecret: 's', checkVisibility: false } }).miniProgram?.checkVisibility,
      false,
    );
  });
});

describe('one validator for every factory', () => {
  it('http:// only for a WeCom on this machine; https everywhere else', () => {
    fails({ ...good, apiBaseUrl: 'http://qyapi.weixin.qq.com' }, 'apiBaseUrl', /must use https/);
    for (const local of [
      'http://127.0.0.1:3001',
      'http://localhost:3001',
      'http://LOCALHOST:3001',
      'http://[::1]:3001',
      'http://127.1.2.3:3001',
    ]) {
      assert.ok(resolveConfig({ ...good, apiBaseUrl: local } as WeComAuthOptions).apiBaseUrl?.startsWith('http://'));
    }
    // A name under .localhost is not pinned to loopback by the operating system's resolver (only
    // `localhost` is, in /etc/hosts): it may go to DNS, and the app secret with it, in clear.
    for (const named of [
      'http://wecom.localhost:3001',
      'http://localhost.evil.example',
      'http://127.0.0.1.evil.example',
      'http://[::2]:3001',
    ]) {
      fails({ ...good, apiBaseUrl: named }, 'apiBaseUrl', /must use https/);
    }
  });

  it('the same agentId rule in wecomAuth, the mini-program login and the JS-SDK handler: a number or a string of digits', async () => {
    assert.equal(resolveConfig({ ...good, agentId: '1000002' } as WeComAuthOptions).agentId, 1000002);
    fails({ ...good, agentId: '10a' }, 'agentId', /positive whole number/);
  });

  it('hooks are checked: unknown names with a suggestion, non-functions refused', () => {
    fails({ ...good, hooks: { onLogn: () => undefined } }, 'hooks.onLogn', /did you mean `hooks.onLogin`/);
    fails({ ...good, hooks: { onLoginFailed: 'x' } }, 'hooks.onLoginFailed', /must be a function/);
  });
});
