/**
 * `GET /orders/:id?tab=…` (behind the guard): the deep page the demo's cards and menu items open.
 * It shows its own path and query, so a person (and the tests) can see that the login kept them.
 */
import type { Express } from 'express';
import type { WeComAuth } from '../index.ts';
import { escapeHtml, isEnglish, sendPage } from './html.ts';

export function mountOrdersPage(app: Express, wecom: WeComAuth): void {
  app.get('/orders/:id', wecom.requireUser(), (req, res) => {
    const e = isEnglish(req);
    const user = req.wecomUser;
    const name = typeof user?.profile?.name === 'string' ? user.profile.name : (user?.userId ?? user?.openId ?? '');
    const id = String(req.params['id'] ?? '');
    const tab = typeof req.query['tab'] === 'string' ? req.query['tab'] : '';
    sendPage(wecom, req, res, {
      id: 'order',
      status: 200,
      heading: e ? `Order ${id}` : `订单 ${id}`,
      message: e ? `Signed in as ${name}.` : `${name}，你已登录。`,
      body:
        `<dl class="identity"><dt>${e ? 'Order' : '订单'}</dt><dd data-field="order">${escapeHtml(id)}</dd>` +
        `<dt>${e ? 'Tab' : '标签页'}</dt><dd data-field="tab">${escapeHtml(tab)}</dd>` +
        `<dt>URL</dt><dd data-field="path">${escapeHtml(req.originalUrl)}</dd>` +
        `<dt>UserId</dt><dd data-field="userId">${escapeHtml(user?.userId ?? user?.openId ?? '')}</dd></dl>` +
        `<p><a href="/">${e ? 'Home' : '首页'}</a> · <a href="/send-card">${e ? 'Send another card' : '再发一张卡片'}</a></p>`,
    });
  });
}
