/**
 * `POST /send-card`: checks the form, sends the card to the signed-in member, and answers with a
 * page saying where the card went (or why it could not be sent).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WeComRecipientsError } from '../index.ts';
import type { SendMessageResult, WeComAuth } from '../index.ts';
import { escapeHtml, isEnglish, sendPage } from './html.ts';

export const TABS = ['items', 'history', 'approval'] as const;

/** The emulator's WeCom client page for a member, when the demo runs against the emulator. */
function emulatorClientUrl(wecom: WeComAuth, userId: string): string | undefined {
  const base = wecom.config.apiBaseUrl;
  if (base === undefined || new URL(base).hostname === 'qyapi.weixin.qq.com') return undefined;
  return `${base}/client?user=${encodeURIComponent(userId)}`;
}

function refused(wecom: WeComAuth, req: Request, res: Response, status: number, message: string, extra: object = {}): void {
  const e = isEnglish(req);
  sendPage(wecom, req, res, {
    id: 'send-card-refused',
    status,
    heading: status === 409 ? (e ? 'WeCom did not deliver the card' : '企业微信未投递此卡片') : e ? 'Cannot send this card' : '无法发送',
    message,
    ...extra,
  });
}

function sentPage(wecom: WeComAuth, req: Request, res: Response, result: SendMessageResult, url: string, userId: string): void {
  const e = isEnglish(req);
  const client = emulatorClientUrl(wecom, userId);
  sendPage(wecom, req, res, {
    id: 'card-sent',
    status: 200,
    heading: e ? 'Card sent' : '卡片已发送',
    message: e ? 'Tap the card in WeCom: it opens the order page, signed in.' : '在企业微信中点开卡片：会打开订单页面并已登录。',
    body:
      `<dl class="identity"><dt>msgid</dt><dd data-field="msgid">${escapeHtml(result.msgid ?? '-')}</dd>` +
      `<dt>${e ? 'Opens' : '链接'}</dt><dd data-field="card-url">${escapeHtml(url)}</dd></dl>` +
      (client
        ? `<p><a class="button" href="${escapeHtml(client)}">${e ? "Open the emulator's WeCom client" : '打开模拟器中的企业微信'}</a></p>`
        : `<p>${e ? "Open WeCom on your phone: the card is in the app's messages." : '请在手机企业微信中查看该应用的消息。'}</p>`),
  });
}

export function sendCardHandler(wecom: WeComAuth): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const e = isEnglish(req);
      const user = req.wecomUser;
      const order = typeof req.body?.order === 'string' && /^\d{1,9}$/.test(req.body.order) ? req.body.order : undefined;
      const tab = (TABS as readonly unknown[]).includes(req.body?.tab) ? (req.body.tab as string) : undefined;
      if (!user?.userId || order === undefined || tab === undefined) {
        const message = !user?.userId
          ? e
            ? 'Only members of the corporation receive app messages.'
            : '只有企业成员能收到应用消息。'
          : e
            ? 'Choose an order number (digits) and a tab.'
            : '请填写订单号（数字）并选择标签页。';
        refused(wecom, req, res, 400, message, { action: { href: '/send-card', label: e ? 'Back' : '返回' } });
        return;
      }
      const url = `${wecom.config.origin}/orders/${order}?tab=${tab}`;
      let result: SendMessageResult;
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
        const message = e ? "You are not in this app's visible range." : '你不在该应用的可见范围内。';
        refused(wecom, req, res, 409, message, { details: { errcode: err.errcode, api: err.api } });
        return;
      }
      sentPage(wecom, req, res, result, url, user.userId);
    } catch (err) {
      next(err);
    }
  };
}
