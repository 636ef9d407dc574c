/**
 * The demo's entry-point loop, run by clicking: /send-card sends the signed-in member a message
 * card (message/send) that links to a deep page of this demo, /orders/:id?tab=…; tapping the card
 * in WeCom (or in the emulator's client page) opens that page and logs the member in on the way.
 * Mounted by app.ts with one line; everything it needs is the WeComAuth instance.
 */
import express from 'express';
import type { Express, Request, Response } from 'express';
import type { WeComAuth } from '../index.ts';
import { BUTTON, isEnglish, sendPage } from './html.ts';
import { sendCardHandler, TABS } from './send-card-post.ts';
import type { Csrf } from './csrf.ts';
import { mountOrdersPage } from './orders-page.ts';

function formPage(wecom: WeComAuth, csrf: Csrf, req: Request, res: Response): void {
  const e = isEnglish(req);
  sendPage(wecom, req, res, {
    id: 'send-card',
    status: 200,
    heading: e ? 'Send yourself a message card' : '给自己发一张消息卡片',
    message: e
      ? 'The card links to a page of this app; tapping it in WeCom opens the page and logs you in.'
      : '卡片链接到本应用的一个页面；在企业微信中点开卡片即可打开该页面并自动登录。',
    body:
      `<form method="post" action="/send-card">${csrf.field(req)}` +
      `<p><label>${e ? 'Order' : '订单号'} <input name="order" value="42" inputmode="numeric" pattern="[0-9]{1,9}" required></label></p>` +
      `<p><label>${e ? 'Tab' : '标签页'} <select name="tab">${TABS.map((t) => `<option>${t}</option>`).join('')}</select></label></p>` +
      `<p><button ${BUTTON}>${e ? 'Send me the card' : '给我发送卡片'}</button></p></form>`,
  });
}

/** A missing or wrong CSRF token: the form did not come from this app's page, or from an earlier login. */
function formExpiredPage(wecom: WeComAuth, req: Request, res: Response): void {
  const e = isEnglish(req);
  sendPage(wecom, req, res, {
    id: 'form-expired',
    status: 403,
    heading: e ? 'This form can no longer be sent' : '表单已失效',
    message: e
      ? "It was not sent from this app's own page, or it belongs to an earlier sign-in. Open the form again and send it from there."
      : '该表单不是从本应用的页面提交的，或属于之前的一次登录。请重新打开表单，再从那里提交。',
    action: { href: '/send-card', label: e ? 'Open the form again' : '重新打开表单' },
  });
}

export function mountSendCardDemo(app: Express, wecom: WeComAuth, csrf: Csrf): void {
  // extended: false parses a repeated field as an array, which the CSRF check refuses.
  const form = express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 5 });
  app.get('/send-card', wecom.requireUser(), (req, res) => formPage(wecom, csrf, req, res));
  const checked = csrf.check((req, res) => formExpiredPage(wecom, req, res));
  app.post('/send-card', wecom.requireUser(), form, checked, sendCardHandler(wecom));
  mountOrdersPage(app, wecom);
}
