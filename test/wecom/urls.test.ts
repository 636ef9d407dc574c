import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildAuthorizeUrl, buildWebLoginUrl } from '../../src/wecom/urls.ts';

const redirectUri = 'https://app.example.com/auth/callback?x=1&y=a b';

function paramsInOrder(url: string): [string, string][] {
  const u = new URL(url);
  return [...u.searchParams.entries()];
}

describe('buildAuthorizeUrl', () => {
  it('emits every parameter in the documented order, then #wechat_redirect', () => {
    const url = buildAuthorizeUrl({
      corpId: 'wwdemocorp0000001',
      redirectUri,
      scope: 'snsapi_privateinfo',
      agentId: 1000002,
      state: 'abc123XYZ',
    });
    assert.equal(
      url,
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wwdemocorp0000001' +
        '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback%3Fx%3D1%26y%3Da%20b' +
        '&response_type=code&scope=snsapi_privateinfo&agentid=1000002&state=abc123XYZ#wechat_redirect',
    );
    assert.deepEqual(paramsInOrder(url), [
      ['appid', 'wwdemocorp0000001'],
      ['redirect_uri', redirectUri],
      ['response_type', 'code'],
      ['scope', 'snsapi_privateinfo'],
      ['agentid', '1000002'],
      ['state', 'abc123XYZ'],
    ]);
    assert.equal(new URL(url).hash, '#wechat_redirect');
  });

  it('defaults to snsapi_base, omits agentid when not given', () => {
    const url = buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://localhost:3000/cb', state: 's' });
    assert.deepEqual(paramsInOrder(url), [
      ['appid', 'ww1'],
      ['redirect_uri', 'http://localhost:3000/cb'],
      ['response_type', 'code'],
      ['scope', 'snsapi_base'],
      ['state', 's'],
    ]);
  });

  it('adds agentid for snsapi_base and snsapi_userinfo when given', () => {
    for (const scope of ['snsapi_base', 'snsapi_userinfo'] as const) {
      const url = buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://localhost:3000/cb', scope, agentId: 7, state: 's' });
      assert.equal(new URL(url).searchParams.get('agentid'), '7');
      assert.equal(new URL(url).searchParams.get('scope'), scope);
    }
  });

  it('uses oauthBaseUrl, with or without trailing slashes', () => {
    for (const base of ['http://127.0.0.1:5000', 'http://127.0.0.1:5000/', 'http://127.0.0.1:5000//']) {
      const url = buildAuthorizeUrl({ oauthBaseUrl: base, corpId: 'ww1', redirectUri: 'http://localhost:3000/cb', state: 's' });
      assert.ok(url.startsWith('http://127.0.0.1:5000/connect/oauth2/authorize?appid=ww1&'), url);
    }
  });

  it('refuses privateinfo without agentId', () => {
    assert.throws(
      () => buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://localhost/cb', scope: 'snsapi_privateinfo', state: 's' }),
      (err: Error) => err instanceof TypeError && /requires agentId/.test(err.message),
    );
  });

  it('refuses a state outside [A-Za-z0-9]{1,128}, saying why', () => {
    for (const state of ['', 'a-b', 'a b', 'é', 'x'.repeat(129), 'abc=', undefined as unknown as string]) {
      assert.throws(
        () => buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://localhost/cb', state }),
        (err: Error) => err instanceof TypeError && /state must be 1 to 128 characters of A-Z, a-z and 0-9/.test(err.message),
        JSON.stringify(state),
      );
    }
    assert.ok(buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://localhost/cb', state: 'x'.repeat(128) }));
  });

  it('refuses a redirectUri that is not an absolute http(s) URL', () => {
    for (const redirectUri of ['/cb', 'cb', 'javascript:alert(1)', 'ftp://x/cb', '//evil.example/cb', '']) {
      assert.throws(
        () => buildAuthorizeUrl({ corpId: 'ww1', redirectUri, state: 's' }),
        (err: Error) => err instanceof TypeError && /absolute http\(s\) URL/.test(err.message),
        redirectUri,
      );
    }
  });

  it('refuses a bad agentId, scope or corpId', () => {
    assert.throws(
      () => buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://l/cb', state: 's', agentId: 0 }),
      /agentId must be a positive integer/,
    );
    assert.throws(() => buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://l/cb', state: 's', agentId: 1.5 }), /agentId/);
    assert.throws(
      () => buildAuthorizeUrl({ corpId: 'ww1', redirectUri: 'http://l/cb', state: 's', scope: 'snsapi_login' as 'snsapi_base' }),
      /scope must be one of/,
    );
    assert.throws(() => buildAuthorizeUrl({ corpId: '', redirectUri: 'http://l/cb', state: 's' }), /corpId/);
  });
});

describe('buildWebLoginUrl', () => {
  it('emits /wwlogin/sso/login with login_type=CorpApp and every parameter in order', () => {
    const url = buildWebLoginUrl({
      corpId: 'wwdemocorp0000001',
      agentId: 1000002,
      redirectUri: 'https://app.example.com/auth/callback?next=/a',
      state: 'S1',
      lang: 'en',
    });
    assert.equal(
      url,
      'https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=wwdemocorp0000001&agentid=1000002' +
        '&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback%3Fnext%3D%2Fa&state=S1&lang=en',
    );
  });

  it('omits lang when not given, honours loginBaseUrl with a trailing slash', () => {
    const url = buildWebLoginUrl({
      loginBaseUrl: 'http://127.0.0.1:9/',
      corpId: 'ww1',
      agentId: 2,
      redirectUri: 'http://localhost:3000/cb',
      state: 'z',
    });
    assert.equal(
      url,
      'http://127.0.0.1:9/wwlogin/sso/login?login_type=CorpApp&appid=ww1&agentid=2&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=z',
    );
  });

  it('requires agentId, a valid state, an absolute redirectUri and a known lang', () => {
    const ok = { corpId: 'ww1', agentId: 2, redirectUri: 'http://localhost:3000/cb', state: 'z' };
    assert.throws(() => buildWebLoginUrl({ ...ok, agentId: undefined as unknown as number }), /agentId must be a positive integer/);
    assert.throws(() => buildWebLoginUrl({ ...ok, state: 'a_b' }), /state must be/);
    assert.throws(() => buildWebLoginUrl({ ...ok, redirectUri: '/cb' }), /absolute http\(s\) URL/);
    assert.throws(() => buildWebLoginUrl({ ...ok, lang: 'fr' as 'en' }), /lang must be/);
  });
});
