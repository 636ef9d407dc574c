import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, preferredLang, Views } from '../../src/express/views.ts';
import type { Request } from 'express';

describe('views', () => {
  it('zh-CN by default, English only when preferred', () => {
    assert.equal(preferredLang(undefined), 'zh-CN');
    assert.equal(preferredLang('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
    assert.equal(preferredLang('en-US,en;q=0.9'), 'en');
    assert.equal(preferredLang('fr-FR,en;q=0.5,zh;q=0.4'), 'en');
    assert.equal(preferredLang('fr-FR'), 'zh-CN');
    assert.equal(preferredLang('en;q=0'), 'zh-CN');
  });
  it('escapes every value', () => {
    assert.equal(escapeHtml(`<a href="x">'&\``), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#96;');
    const views = new Views();
    const req = { headers: {} } as Request;
    const ctx = views.context(req, 'wecom-trusted-domain', { values: { host: '<img src=x onerror=alert(1)>' }, action: { href: '/login?x="><script>' } });
    const html = views.renderHtml(ctx);
    assert.doesNotMatch(html, /<img|<script/);
    assert.match(html, /&#60;img src=x onerror=alert\(1\)&#62;/);
  });
  it('every page has texts in both languages', () => {
    const views = new Views();
    const pages = ['open-in-wecom', 'non-member', 'no-access', 'cookies-needed', 'signed-out', 'login-expired', 'login-cancelled', 'bad-request',
      'session-unavailable', 'rate-limited', 'wecom-trusted-domain', 'wecom-trusted-ip', 'wecom-agentid', 'wecom-config', 'wecom-timeout',
      'wecom-unavailable', 'wecom-error', 'login-refused', 'server-error'] as const;
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
