/**
 * The demo's home page (`GET /`, behind the guard, also the app's homepage in the workbench): who
 * is logged in, the profile when the scope gives one, a button that sends the person a card, and
 * links to everything else the demo shows.
 */
import type { Express, Request } from 'express';
import type { WeComAuth, WeComUser } from '../index.ts';
import { BUTTON, escapeHtml, isEnglish, logoutForm, sendPage } from './html.ts';
import type { Csrf } from './csrf.ts';
import { localTimeScriptTag, timeHtml } from './local-time.ts';

function identityRows(user: WeComUser | undefined, en: boolean): Array<[string, string]> {
  return [
    [en ? 'UserId' : '成员账号 UserId', user?.userId ?? user?.openId ?? ''],
    [en ? 'DeviceId' : '设备 DeviceId', user?.deviceId ?? '-'],
    [en ? 'Corporation' : '企业 CorpId', user?.corpId ?? ''],
    [en ? 'App' : '应用 AgentId', String(user?.agentId ?? '')],
  ];
}

function profileList(user: WeComUser | undefined, en: boolean): string {
  const profile = Object.entries(user?.profile ?? {});
  if (!profile.length) return '';
  const rows = profile
    .map(
      ([k, v]) =>
        `<dt>${escapeHtml(k)}</dt><dd data-field="${escapeHtml(k)}">${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</dd>`,
    )
    .join('');
  return `<h2>${en ? 'Profile (user/get + getuserdetail)' : '成员资料（user/get + getuserdetail）'}</h2><dl class="profile">${rows}</dl>`;
}

/** One tap sends the person a card, the third entry point; /send-card lets them choose its link. */
function sendCardForm(req: Request, csrf: Csrf, en: boolean): string {
  return (
    `<form method="post" action="/send-card" class="send-card">${csrf.field(req)}` +
    `<input type="hidden" name="order" value="42"><input type="hidden" name="tab" value="items">` +
    `<p><button ${BUTTON}>${en ? 'Send me a message card' : '给我发一张消息卡片'}</button> ` +
    `<a href="/send-card">${en ? 'or choose its order and tab' : '或自选订单与标签页'}</a></p></form>`
  );
}

function homeBody(req: Request, csrf: Csrf, en: boolean): string {
  const user = req.wecomUser;
  const rows =
    identityRows(user, en)
      .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`)
      .join('') + (user ? `<dt>${en ? 'Signed in at' : '登录时间'}</dt><dd data-field="loginAt">${timeHtml(user.loginAt)}</dd>` : '');
  return (
    `<dl class="identity">${rows}</dl>` +
    profileList(user, en) +
    sendCardForm(req, csrf, en) +
    `<p><a href="/me">/me (JSON)</a> · <a href="/jssdk">${en ? 'JS-SDK signature' : 'JS-SDK 签名'}</a> · <a href="/status">${en ? 'Logins in the last hour' : '最近一小时的登录'}</a></p>`
  );
}

export function mountHome(app: Express, wecom: WeComAuth, csrf: Csrf): void {
  app.get('/', wecom.requireUser(), (req, res) => {
    const user = req.wecomUser;
    const en = isEnglish(req);
    const displayName = typeof user?.profile?.name === 'string' ? user.profile.name : (user?.userId ?? user?.openId ?? '');
    sendPage(wecom, req, res, {
      id: 'home',
      status: 200,
      heading: en ? `Hello, ${displayName}` : `你好，${displayName}`,
      message: en ? 'You are signed in with WeCom.' : '你已通过企业微信登录。',
      body: homeBody(req, csrf, en) + logoutForm(wecom, en) + localTimeScriptTag,
    });
  });
}
