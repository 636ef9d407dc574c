/**
 * `GET /jssdk` (behind the guard): a page that signs its own URL for wx.config / ww.register and
 * wx.agentConfig. The signature is computed server-side from the cached tickets; a real page
 * passes these values to the JS-SDK.
 */
import type { Express } from 'express';
import type { WeComAuth } from '../index.ts';
import { escapeHtml, isEnglish, sendPage } from './html.ts';

export function mountJssdkPage(app: Express, wecom: WeComAuth): void {
  app.get('/jssdk', wecom.requireUser(), async (req, res, next) => {
    try {
      const en = isEnglish(req);
      const pageUrl = new URL(req.originalUrl, wecom.config.origin).href;
      const [corp, agent] = await Promise.all([wecom.client.createJsapiConfig(pageUrl), wecom.client.createAgentConfig(pageUrl)]);
      sendPage(wecom, req, res, {
        id: 'jssdk',
        status: 200,
        heading: en ? 'JS-SDK signature for this page' : '本页面的 JS-SDK 签名',
        message: en
          ? 'Signed with the cached jsapi_ticket and agent_config ticket (SHA-1, docs/wecom-api.md §7).'
          : '使用缓存的 jsapi_ticket 与应用 ticket 计算（SHA-1）。',
        body:
          `<p>URL: <code data-field="url">${escapeHtml(pageUrl)}</code></p>` +
          `<h2>wx.config / ww.register</h2><pre data-field="config">${escapeHtml(JSON.stringify({ beta: true, ...corp }, null, 2))}</pre>` +
          `<h2>wx.agentConfig</h2><pre data-field="agentConfig">${escapeHtml(JSON.stringify(agent, null, 2))}</pre>` +
          `<p><a href="/">${en ? 'Back' : '返回'}</a></p>`,
      });
    } catch (err) {
      next(err);
    }
  });
}
