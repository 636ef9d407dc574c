/**
 * The bench driver follows whatever a login answers (bench/lib/browser.ts): a redirect, a start
 * page's link, a landing page's Refresh; and the node:https variant's patch (bench/lib/variant.ts)
 * applies to this checkout's src/wecom/http.ts, or says which anchor it lost.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Jar, nextUrl } from '../../bench/lib/browser.ts';
import { patchHttpTs } from '../../bench/lib/variant.ts';

const from = new URL('http://127.0.0.1:4000/page?x=1');
const reply = (status: number, headers: Record<string, string>, body = '') => ({ status, headers, body });

describe('bench driver: the next request of a flow', () => {
  it('a redirect: its Location, relative to the request', () => {
    assert.equal(
      nextUrl(reply(302, { location: '/auth/callback?code=c&state=s' }), from)?.href,
      'http://127.0.0.1:4000/auth/callback?code=c&state=s',
    );
    assert.equal(
      nextUrl(reply(303, { location: 'https://open.weixin.qq.com/connect/oauth2/authorize?a=1' }), from)?.host,
      'open.weixin.qq.com',
    );
  });

  it("a 200 with Refresh (the landing answer): the Refresh's URL", () => {
    assert.equal(nextUrl(reply(200, { refresh: '0;url=/page#/orders' }), from)?.href, 'http://127.0.0.1:4000/page#/orders');
    assert.equal(nextUrl(reply(200, { refresh: "0; URL='/page?a=1&amp;b=2'" }), from)?.href, 'http://127.0.0.1:4000/page?a=1&b=2');
  });

  it('a 200 HTML start page: the href of <a id="wecom-login">, whatever the order of its attributes', () => {
    const html = { 'content-type': 'text/html; charset=utf-8' };
    const page =
      '<p>Sign in</p><a class="button" href="https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww1&amp;state=s" id="wecom-login">Log in</a>';
    assert.equal(nextUrl(reply(200, html, page), from)?.search, '?appid=ww1&state=s');
    assert.equal(nextUrl(reply(200, html, `<a id='wecom-login' href='/auth/start?to=%2F'>go</a>`), from)?.pathname, '/auth/start');
    assert.equal(nextUrl(reply(200, html, '<a href="/elsewhere">another link</a>'), from), undefined, 'another link is not followed');
  });

  it('anything else ends the flow', () => {
    assert.equal(nextUrl(reply(200, { 'content-type': 'application/json' }, '{"userId":"zhangsan"}'), from), undefined);
    assert.equal(nextUrl(reply(400, { 'content-type': 'text/html' }, '<a id="wecom-login" href="/x">'), from), undefined);
    assert.equal(nextUrl(reply(302, {}), from), undefined, 'a redirect without a Location');
  });

  it('the jar: a cookie goes to its Path only, Max-Age=0 deletes it', () => {
    const jar = new Jar();
    jar.take(['sid=1; Path=/; HttpOnly', 'login=2; Path=/auth/callback']);
    assert.equal(jar.header(new URL('http://a/page')), 'sid=1');
    assert.equal(jar.header(new URL('http://a/auth/callback?code=c')), 'sid=1; login=2');
    jar.take(['login=; Path=/auth/callback; Max-Age=0']);
    assert.equal(jar.header(new URL('http://a/auth/callback')), 'sid=1');
  });
});

describe('bench variant: node:https in place of got', () => {
  const source = readFileSync(join(import.meta.dirname, '../../src/wecom/http.ts'), 'utf8');

  it("applies to this checkout's src/wecom/http.ts: one import, one first statement in #send()", () => {
    const patched = patchHttpTs(source);
    assert.equal(patched.split('\n').length, source.split('\n').length + 3);
    assert.match(patched, /^import \{ sendViaNodeHttps \} from '\.\/node-https-send\.ts';$/m);
    assert.match(patched, /#send\([^]*?\{\n\s*\/\/ bench variant[^\n]*\n\s*return sendViaNodeHttps\(url, req, fresh \?/);
  });

  it('names the anchor it cannot find', () => {
    assert.throws(() => patchHttpTs(source.replace(/#send\(/g, '#transmit(')), /#send\(url, req, fresh, totalMs\) method found 0 times/);
    assert.throws(() => patchHttpTs(source.replace(/#freshAgents/g, '#otherAgents')), /#freshAgents is not in src\/wecom\/http\.ts/);
  });
});
