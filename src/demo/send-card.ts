/**
 * The demo's entry-point loop, run by clicking: /send-card sends the signed-in member a message
 * card (message/send) that links to a deep page of this demo, /orders/:id?tab=…; tapping the card
 * in WeCom (or in the emulator's client page) opens that page and logs the member in on the way.
 * Mounted by app.ts with one line; everything it needs is the WeComAuth instance.
 */
import express from 'express';
import type { Request, Response, NextFunction } from 'express';
import type { WeComAuth } from '../wecom-auth.ts';
import { escapeHtml, preferredLang } from '../express/views.ts';
import type { PageContext } from '../express/views.ts';
import { WeComRecipientsError } from '../wecom/messages.ts';

const TABS = ['items', 'history', 'approval'] as const;

function en(req: Request): boolean {
  return preferredLang(req) === 'en';
}

function page(wecom: WeComAuth, req: Request, res: Response, pageId: string, ctx: Omit<PageContext, 'page' | 'lang'>, body: string): void {
  const full: PageContext = { ...ctx, page: 'signed-out', lang: en(req) ? 'en' : 'zh-CN' };
  res.setHeader('Cache-Control', 'no-store');
  res
    .status(ctx.status)
    .type('html')
    .send(wecom.views.renderHtml(full, body).replace('data-page="signed-out"', `data-page="${pageId}"`));
}

/** The emulator's WeCom client page for a member, when the demo runs against the emulator. */
function emulatorClientUrl(wecom: WeComAuth, userId: string): string | undefined {
  const base = wecom.config.apiBaseUrl;
  if (base === undefined || new URL(base).hostname === 'qyapi.weixin.qq.com') return undefined;
  return `${base}/client?user=${encodeURIComponent(userId)}`;
}

export function mountSendCardDemo(app: express.Express, wecom: WeComAuth): void {
  // The form posts with the session cookie, which is SameSite=Lax: a cross-site form cannot post here.
  const form = express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 });

  app.get('/send-card', wecom.requireUser(), (req, res) => {
    const e = en(req);
    const body =
      `<form method="post" action="/send-card">` +
      `<p><label>${e ? 'Order' : '订单号'} <input name="order" value="42" inputmode="numeric" pattern="[0-9]{1,9}" required></label></p>` +
      `<p><label>${e ? 'Tab' : '标签页'} <select name="tab">${TABS.map((t) => `<option>${t}</option>`).join('')}</select></label></p>` +
      `<p><button type="submit" class="button">${e ? 'Send me the card' : '给我发送卡片'}</button></p></form>`;
    page(
      wecom,
      req,
      res,
      'send-card',
      {
        status: 200,
        heading: e ? 'Send yourself a message card' : '给自己发一张消息卡片',
        message: e
          ? 'The card links to a page of this app; tapping it in WeCom opens the page and logs you in.'
          : '卡片链接到本应用的一个页面；在企业微信中点开卡片即可打开该页面并自动登录。',
      },
      body,
    );
  });

  app.post('/send-card', wecom.requireUser(), form, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const e = en(req);
      const user = req.wecomUser;
      const order = typeof req.body?.order === 'string' && /^\d{1,9}$/.test(req.body.order) ? req.body.order : undefined;
      const tab = (TABS as readonly unknown[]).includes(req.body?.tab) ? (req.body.tab as string) : undefined;
      if (!user?.userId || order === undefined || tab === undefined) {
        page(
          wecom,
          req,
          res,
          'send-card-refused',
          {
            status: 400,
            heading: e ? 'Cannot send this card' : '无法发送',
            message: !user?.userId
              ? e
                ? 'Only members of the corporation receive app messages.'
                : '只有企业成员能收到应用消息。'
              : e
                ? 'Choose an order number (digits) and a tab.'
                : '请填写订单号（数字）并选择标签页。',
            action: { href: '/send-card', label: e ? 'Back' : '返回' },
          },
          '',
        );
        return;
      }
      const url = `${wecom.config.origin}/orders/${order}?tab=${tab}`;
      let result;
      try {
        result = await wecom.client.sendMessage({
          toUser: user.userId,
          msgtype: 'textcard',
          textcard: {
            title: e ? `Order ${order} needs you` : `订单 ${order} 待处理`,
            description: `<div class="gray">${new Date().toISOString().slice(0, 10)}</div><div class="normal">${e ? 'Tap to open the order' : '点开查看订单'}</div><div class="highlight">${tab}</div>`,
            url,
            btntxt: e ? 'Open' : '查看',
          },
          onTooLong: 'truncate',
        });
      } catch (err) {
        if (!(err instanceof WeComRecipientsError)) throw err;
        // The member left the app's visible range since logging in.
        page(
          wecom,
          req,
          res,
          'send-card-refused',
          {
            status: 409,
            heading: e ? 'WeCom did not deliver the card' : '企业微信未投递此卡片',
            message: e ? "You are not in this app's visible range." : '你不在该应用的可见范围内。',
            details: { errcode: err.errcode, api: err.api },
          },
          '',
        );
        return;
      }
      const client = emulatorClientUrl(wecom, user.userId);
      const body =
        `<dl class="identity"><dt>msgid</dt><dd data-field="msgid">${escapeHtml(result.msgid ?? '-')}</dd>` +
        `<dt>${e ? 'Opens' : '链接'}</dt><dd data-field="card-url">${escapeHtml(url)}</dd></dl>` +
        (client
          ? `<p><a class="button" href="${escapeHtml(client)}">${e ? "Open the emulator's WeCom client" : '打开模拟器中的企业微信'}</a></p>`
          : `<p>${e ? "Open WeCom on your phone: the card is in the app's messages." : '请在手机企业微信中查看该应用的消息。'}</p>`);
      page(
        wecom,
        req,
        res,
        'card-sent',
        {
          status: 200,
          heading: e ? 'Card sent' : '卡片已发送',
          message: e ? 'Tap the card in WeCom: it opens the order page, signed in.' : '在企业微信中点开卡片：会打开订单页面并已登录。',
        },
        body,
      );
    } catch (err) {
      next(err);
    }
  });

  // The deep page the card opens: path and query show that the login kept them.
  app.get('/orders/:id', wecom.requireUser(), (req, res) => {
    const e = en(req);
    const user = req.wecomUser;
    const name = typeof user?.profile?.name === 'string' ? user.profile.name : (user?.userId ?? user?.openId ?? '');
    const id = String(req.params['id'] ?? '');
    const tab = typeof req.query['tab'] === 'string' ? req.query['tab'] : '';
    const body =
      `<dl class="identity"><dt>${e ? 'Order' : '订单'}</dt><dd data-field="order">${escapeHtml(id)}</dd>` +
      `<dt>${e ? 'Tab' : '标签页'}</dt><dd data-field="tab">${escapeHtml(tab)}</dd>` +
      `<dt>URL</dt><dd data-field="path">${escapeHtml(req.originalUrl)}</dd>` +
      `<dt>UserId</dt><dd data-field="userId">${escapeHtml(user?.userId ?? user?.openId ?? '')}</dd></dl>` +
      `<p><a href="/">${e ? 'Home' : '首页'}</a> · <a href="/send-card">${e ? 'Send another card' : '再发一张卡片'}</a></p>`;
    page(
      wecom,
      req,
      res,
      'order',
      {
        status: 200,
        heading: e ? `Order ${id}` : `订单 ${id}`,
        message: e ? `Signed in as ${name}.` : `${name}，你已登录。`,
      },
      body,
    );
  });
}
