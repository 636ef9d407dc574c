import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import supertest from 'supertest';
import { escapeHtml, preferredLang, Views } from '../../src/express/views.ts';
import type { Request } from 'express';

describe('views', () => {
  it('zh-CN by default, English only when preferred', async () => {
    const { default: express } = await import('express');
    const app = express();
    app.get('/', (req, res) => res.send(preferredLang(req)));
    const lang = async (header?: string) =>
      (await (header === undefined ? supertest(app).get('/') : supertest(app).get('/').set('Accept-Language', header))).text;
    assert.equal(await lang(undefined), 'zh-CN');
    assert.equal(await lang('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
    assert.equal(await lang('zh-TW'), 'zh-CN');
    assert.equal(await lang('en-US,en;q=0.9'), 'en');
    assert.equal(await lang('fr-FR,en;q=0.5,zh;q=0.4'), 'en');
    assert.equal(await lang('fr-FR'), 'zh-CN');
    assert.equal(await lang('en;q=0'), 'zh-CN');
  });
  it('escapes every value', () => {
    assert.equal(escapeHtml(`<a href="x">'&\``), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#96;');
    const views = new Views();
    const req = { headers: {} } as Request;
    const ctx = views.context(req, 'wecom-trusted-domain', {
      values: { host: '<img src=x onerror=alert(1)>' },
      action: { href: '/login?x="><script>' },
    });
    const html = views.renderHtml(ctx);
    assert.doesNotMatch(html, /<img|<script/);
    assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
  });
  it('every page has texts in both languages', () => {
    const views = new Views();
    const pages = [
      'open-in-wecom',
      'non-member',
      'no-access',
      'cookies-needed',
      'signed-out',
      'login-expired',
      'login-cancelled',
      'bad-request',
      'session-unavailable',
      'rate-limited',
      'wecom-trusted-domain',
      'wecom-trusted-ip',
      'wecom-agentid',
      'wecom-config',
      'wecom-timeout',
      'wecom-unavailable',
      'wecom-error',
      'login-refused',
      'sign-out',
      'sign-out-refused',
      'server-error',
    ] as const;
    for (const lang of ['zh-CN', 'en']) {
      const req = { headers: { 'accept-language': lang } } as unknown as Request;
      for (const page of pages) {
        const ctx = views.context(req, page);
        assert.ok(ctx.heading.length > 0 && ctx.message.length > 0, `${lang} ${page}`);
        assert.ok(ctx.status >= 200 && ctx.status < 600);
      }
    }
  });
});
