// GET /client: the WeCom client of one member, as a plain HTML page. It shows the three ways into
// an app: the workbench (工作台) entry that opens the app's homepage (agent/set home_url), the app's
// custom menu (menu/create) and the app's messages (message/send), each card rendered as WeCom
// shows it. Every link is the app's own URL, opened in this browser: with a WeCom user agent the
// app's login is WeCom's silent in-app OAuth, in any other browser its web login.
//
// The page remembers the member in a cookie, so /connect/oauth2/authorize knows who is holding
// the phone when the app redirects there (the X-WeCom-Emulator-User header still wins).
import { workbenchApps } from './agent.ts';
import { interactiveCard, menuEntryWithEvent, workbenchHref } from './client-entries.ts';
import type { EntryContext } from './client-entries.ts';
import { findMember, isVisible } from './state.ts';
import { html } from './pages.ts';
import type { PageAnswer, PageRequest } from './oauth.ts';
import type { SafeHtml } from './pages.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMember, FixtureMenuButton, SentMessage } from './types.ts';

/** The cookie naming the member of the client page; read by the in-app authorize. */
export const CLIENT_USER_COOKIE = 'wecom_emulator_user';

type Obj = Record<string, unknown>;

const EMPTY = html``;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  month: 'numeric',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** "5月3日 14:05", as WeCom dates its messages (China time). */
function when(ms: number): string {
  const parts = Object.fromEntries(TIME.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts['month'] ?? ''}月${parts['day'] ?? ''}日 ${parts['hour'] ?? ''}:${parts['minute'] ?? ''}`;
}

function layout(title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font-family:system-ui,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:28rem;margin:0 auto;background:#f7f7f7;min-height:100vh}
header{background:#2a6ee8;color:#fff;padding:.8rem 1rem}header h1{font-size:1.1rem;margin:0}header p{margin:.2rem 0 0;font-size:.8rem;opacity:.85}
nav.members{padding:.4rem 1rem;font-size:.8rem;color:#666;background:#fff;border-bottom:1px solid #e5e5e5}nav.members a{margin-right:.6rem;color:#2a6ee8}
section{margin:.6rem 0;background:#fff;padding:.6rem 1rem}h2{font-size:.95rem;margin:.2rem 0 .6rem;color:#333}h2 .en,.en{color:#888;font-weight:normal;font-size:.8rem}
ul.apps{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.8rem}ul.apps li{width:7rem;text-align:center;font-size:.85rem}
.app-icon{display:block;width:3rem;height:3rem;margin:0 auto .3rem;border-radius:.7rem;background:#2a6ee8;color:#fff;line-height:3rem;font-size:1.3rem}
a{color:#2a6ee8}a.app{text-decoration:none;color:#191919}.no-home .app-icon{background:#bbb}
ol.messages{list-style:none;padding:0;margin:0}ol.messages>li{margin:.8rem 0}.time{text-align:center;font-size:.75rem;color:#999;margin:.3rem 0}
.msg{background:#fff;border:1px solid #e3e3e3;border-radius:.4rem;padding:.7rem .8rem}
a.card{display:block;text-decoration:none;color:inherit}.card h3{font-size:1rem;margin:0 0 .3rem}
.date,.gray{color:#999;font-size:.8rem}.highlight{color:#2a6ee8}.normal{color:#191919}.desc{font-size:.9rem;margin:.4rem 0}
.btn{border-top:1px solid #eee;margin:.6rem 0 0;padding-top:.5rem;font-size:.85rem;color:#333}.btn::after{content:" ›";float:right;color:#bbb}
.pic{display:block;background:#dfe6f2;color:#8a9ab5;height:6rem;text-align:center;line-height:6rem;border-radius:.3rem;margin-bottom:.4rem}
.news-row{display:flex;justify-content:space-between;border-top:1px solid #eee;padding:.5rem 0 0;margin-top:.5rem;text-decoration:none;color:inherit}
.source{font-size:.8rem;color:#888;margin:0 0 .4rem}.emphasis strong{display:block;font-size:1.6rem;color:#2a6ee8}
blockquote{margin:.4rem 0;padding:.3rem .6rem;background:#f5f5f5;border-left:3px solid #ddd;font-size:.85rem}
dl.hlist{display:grid;grid-template-columns:auto 1fr;gap:.2rem .8rem;font-size:.85rem;margin:.4rem 0}dl.hlist dt{color:#888}dl.hlist dd{margin:0}
ul.jumps{list-style:none;padding:0;margin:.4rem 0 0;border-top:1px solid #eee}ul.jumps li{padding:.4rem 0;font-size:.85rem}
.text{white-space:pre-wrap;word-break:break-word}.recalled{text-align:center;color:#999;font-size:.8rem;background:none;border:none}
.emu-note{font-size:.75rem;color:#b35c00;margin:.3rem 0 0}
nav.menu{border-top:1px solid #ddd;margin:.8rem -1rem -.6rem;background:#fafafa}nav.menu>ul{display:flex;list-style:none;margin:0;padding:0}
nav.menu>ul>li{flex:1;text-align:center;border-left:1px solid #e5e5e5;padding:.7rem .2rem;font-size:.9rem}nav.menu>ul>li:first-child{border-left:none}
nav.menu a{text-decoration:none}nav.menu details ul{list-style:none;padding:0;margin:.4rem 0 0;background:#fff;border:1px solid #e5e5e5;border-radius:.3rem}
nav.menu details li{padding:.5rem .3rem;border-top:1px solid #eee}nav.menu details li:first-child{border-top:none}nav.menu summary{cursor:pointer;color:#2a6ee8}
.inert{color:#999}.note{font-size:.8rem;color:#888}ul.choices{list-style:none;padding:0 1rem}ul.choices li{margin:.5rem 0}
ul.choices a{display:block;padding:.6rem .8rem;border:1px solid #ccd;border-radius:6px;text-decoration:none;background:#fff}
</style>
</head>
<body>
<main>
${body}
<p class="note" style="text-align:center;padding:1rem">企业微信本地模拟器 · <span lang="en">local WeCom emulator</span></p>
</main>
</body>
</html>
`.html;
}

// --- message rendering -------------------------------------------------------------------

/** textcard descriptions may use <div class="gray|normal|highlight">; anything else is shown as text. */
function cardDescription(description: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const m of description.matchAll(/<div class="(gray|normal|highlight)">([\s\S]*?)<\/div>/g)) {
    const before = description.slice(last, m.index);
    if (before.trim() !== '') parts.push(html`<div>${before}</div>`);
    parts.push(html`<div class="${m[1] ?? 'normal'}">${m[2] ?? ''}</div>`);
    last = m.index + m[0].length;
  }
  const rest = description.slice(last);
  if (rest.trim() !== '') parts.push(html`<div>${rest}</div>`);
  return html`${parts}`;
}

/** text messages may carry <a href="http…">label</a> links, which WeCom shows as links. */
function textWithLinks(content: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const m of content.matchAll(/<a href="([^"]*)">([\s\S]*?)<\/a>/g)) {
    parts.push(html`${content.slice(last, m.index)}`);
    const href = httpUrl(m[1]);
    parts.push(href === undefined ? html`${m[0]}` : html`<a data-entry="text-link" href="${href}">${m[2] ?? ''}</a>`);
    last = m.index + m[0].length;
  }
  parts.push(html`${content.slice(last)}`);
  return html`${parts}`;
}

/** markdown: [label](http…) links become links; the rest is shown as written. */
function markdownWithLinks(content: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let last = 0;
  for (const m of content.matchAll(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g)) {
    parts.push(html`${content.slice(last, m.index)}`);
    const href = httpUrl(m[2]);
    parts.push(href === undefined ? html`${m[0]}` : html`<a data-entry="text-link" href="${href}">${m[1] ?? ''}</a>`);
    last = m.index + m[0].length;
  }
  parts.push(html`${content.slice(last)}`);
  return html`${parts}`;
}

function truncationNote(message: SentMessage): SafeHtml {
  if (message.truncated.length === 0) return EMPTY;
  return html`<p class="emu-note">模拟器提示：${message.truncated.join(', ')} 超过企业微信的长度上限，已被截断 · <span lang="en">emulator: cut to WeCom's length limit</span></p>`;
}

function textcard(c: Obj, message: SentMessage): SafeHtml {
  const href = httpUrl(c['url']);
  const inner = html`<h3>${text(c['title'])}</h3><p class="date">${when(message.sentAt)}</p><div class="desc">${cardDescription(text(c['description']))}</div><p class="btn">${text(c['btntxt']) || '详情'}</p>`;
  return href === undefined ? html`<div class="card">${inner}</div>` : html`<a class="card" data-entry="card" href="${href}">${inner}</a>`;
}

function news(c: Obj): SafeHtml {
  const articles = Array.isArray(c['articles']) ? c['articles'].filter(isObj) : [];
  const rows = articles.map((a, i) => {
    const href = httpUrl(a['url']);
    const miniProgram = typeof a['appid'] === 'string' && a['appid'] !== '';
    const body =
      i === 0
        ? html`<span class="pic">图片</span><strong>${text(a['title'])}</strong>${articles.length === 1 && text(a['description']) ? html`<p class="desc gray">${text(a['description'])}</p>` : EMPTY}`
        : html`<span>${text(a['title'])}</span><span class="note">图</span>`;
    const cls = i === 0 ? 'card' : 'news-row';
    if (miniProgram || href === undefined) return html`<div class="${cls}">${body}<p class="note">小程序 · mini program</p></div>`;
    return html`<a class="${cls}" data-entry="card" href="${href}">${body}</a>`;
  });
  return html`${rows}`;
}

function templateCard(c: Obj): SafeHtml {
  if (c['card_type'] !== 'text_notice')
    return html`<p class="note">[模板卡片 ${text(c['card_type'])}] 模拟器只显示文本通知型 · <span lang="en">only text_notice cards are drawn</span></p>`;
  const source = isObj(c['source']) ? c['source'] : {};
  const main = isObj(c['main_title']) ? c['main_title'] : {};
  const emphasis = isObj(c['emphasis_content']) ? c['emphasis_content'] : undefined;
  const quote = isObj(c['quote_area']) ? c['quote_area'] : undefined;
  const action = isObj(c['card_action']) ? c['card_action'] : {};
  const inner = html`${text(source['desc']) ? html`<p class="source">${text(source['desc'])}</p>` : EMPTY}<h3>${text(main['title'])}</h3>${
    text(main['desc']) ? html`<p class="gray">${text(main['desc'])}</p>` : EMPTY
  }${emphasis ? html`<p class="emphasis"><strong>${text(emphasis['title'])}</strong><span class="gray">${text(emphasis['desc'])}</span></p>` : EMPTY}${
    quote ? html`<blockquote>${text(quote['title'])} ${text(quote['quote_text'])}</blockquote>` : EMPTY
  }${text(c['sub_title_text']) ? html`<p class="desc">${text(c['sub_title_text'])}</p>` : EMPTY}`;
  const href = action['type'] === 1 ? httpUrl(action['url']) : undefined;
  const head =
    href === undefined ? html`<div class="card">${inner}</div>` : html`<a class="card" data-entry="card" href="${href}">${inner}</a>`;
  const items = (Array.isArray(c['horizontal_content_list']) ? c['horizontal_content_list'] : []).filter(isObj).map((item) => {
    const link = item['type'] === 1 ? httpUrl(item['url']) : undefined;
    const value = text(item['value']);
    return html`<dt>${text(item['keyname'])}</dt><dd>${link === undefined ? value : html`<a data-entry="card-link" href="${link}">${value}</a>`}</dd>`;
  });
  const jumps = (Array.isArray(c['jump_list']) ? c['jump_list'] : []).filter(isObj).map((jump) => {
    const link = jump['type'] === 1 ? httpUrl(jump['url']) : undefined;
    return link === undefined
      ? html`<li class="inert">${text(jump['title'])}</li>`
      : html`<li><a data-entry="card-link" href="${link}">${text(jump['title'])}</a></li>`;
  });
  return html`${head}${items.length ? html`<dl class="hlist">${items}</dl>` : EMPTY}${jumps.length ? html`<ul class="jumps">${jumps}</ul>` : EMPTY}`;
}

const OTHER_LABELS: Readonly<Record<string, string>> = {
  image: '[图片]',
  voice: '[语音]',
  video: '[视频]',
  file: '[文件]',
  mpnews: '[图文]',
  miniprogram_notice: '[小程序通知]',
};

function messageItem(app: FixtureApp, message: SentMessage, state: EmulatorState, ctx: EntryContext): SafeHtml {
  const time = html`<p class="time">${when(message.sentAt)}</p>`;
  if (message.recalledAt !== undefined) {
    return html`<li>${time}<p class="msg recalled" data-msgid="${message.msgid}" data-recalled="true">「${app.name}」撤回了一条消息 · <span lang="en">message recalled</span></p></li>`;
  }
  const c = message.content;
  let body: SafeHtml;
  switch (message.msgtype) {
    case 'textcard':
      body = textcard(c, message);
      break;
    case 'news':
      body = news(c);
      break;
    case 'template_card':
      body = c['card_type'] === 'text_notice' ? templateCard(c) : interactiveCard(state, ctx, message);
      break;
    case 'text':
      body = html`<p class="text">${textWithLinks(text(c['content']))}</p>`;
      break;
    case 'markdown':
      body = html`<p class="text">${markdownWithLinks(text(c['content']))}</p>`;
      break;
    default:
      body = html`<p class="note">${OTHER_LABELS[message.msgtype] ?? `[${message.msgtype}]`}</p>`;
  }
  return html`<li>${time}<article class="msg ${message.msgtype}" data-msgid="${message.msgid}" data-msgtype="${message.msgtype}">${body}${truncationNote(message)}</article></li>`;
}

// --- menu, workbench, page ---------------------------------------------------------------

function menuEntry(button: FixtureMenuButton, app: FixtureApp, ctx: EntryContext, item: string): SafeHtml {
  const withEvent = menuEntryWithEvent(ctx, app, button, item);
  if (withEvent) return withEvent;
  if (button.type === 'view' && button.url !== undefined) {
    const href = httpUrl(button.url);
    if (href !== undefined) return html`<a data-entry="menu" href="${href}">${button.name}</a>`;
  }
  const what = button.type === 'view_miniprogram' ? '小程序' : `${button.type ?? ''} · ${button.key ?? ''}`;
  return html`<span class="inert" title="${what}">${button.name}</span>`;
}

function menuBar(app: FixtureApp, ctx: EntryContext): SafeHtml {
  const menu = app.menu;
  if (menu === undefined || menu.length === 0) {
    return html`<p class="note">未设置自定义菜单 · <span lang="en">no custom menu (menu/create)</span></p>`;
  }
  const items = menu.map((button, i) =>
    button.sub_button
      ? html`<li><details><summary>${button.name}</summary><ul>${button.sub_button.map((sub, j) => html`<li>${menuEntry(sub, app, ctx, `${i}.${j}`)}</li>`)}</ul></details></li>`
      : html`<li>${menuEntry(button, app, ctx, String(i))}</li>`,
  );
  return html`<nav class="menu" aria-label="自定义菜单 custom menu"><ul>${items}</ul></nav>`;
}

function workbench(apps: readonly FixtureApp[], ctx: EntryContext): SafeHtml {
  if (apps.length === 0)
    return html`<p class="note">没有可用的应用 · <span lang="en">no app has this member in its visible range</span></p>`;
  const items = apps.map((app) => {
    const icon = html`<span class="app-icon">${[...app.name][0] ?? '应'}</span>`;
    const href = workbenchHref(ctx, app);
    if (href === undefined) {
      return html`<li class="no-home" data-agentid="${app.agentId}">${icon}${app.name}<br><span class="note" title="agent/set home_url">未设置应用主页<br><span lang="en">no homepage</span></span></li>`;
    }
    return html`<li data-agentid="${app.agentId}"><a class="app" data-entry="homepage" href="${href}">${icon}${app.name}</a></li>`;
  });
  return html`<ul class="apps">${items}</ul>`;
}

function session(state: EmulatorState, corp: FixtureCorp, app: FixtureApp, member: FixtureMember): SafeHtml {
  const messages = state.messages.inbox(member.userId, { corpId: corp.corpId, agentId: app.agentId });
  const ctx = { corp, userId: member.userId };
  const list = messages.length
    ? html`<ol class="messages">${messages.map((m) => messageItem(app, m, state, ctx))}</ol>`
    : html`<p class="note">暂无消息 · <span lang="en">no messages yet (message/send)</span></p>`;
  return html`<section class="session" data-agentid="${app.agentId}"><h2>${app.name} <span class="en">消息 · messages</span></h2>${list}${menuBar(app, ctx)}</section>`;
}

function clientHref(corp: FixtureCorp, state: EmulatorState, userId: string): string {
  const query = new URLSearchParams({ user: userId });
  if (state.fixture.corps.length > 1) query.set('corp', corp.corpId);
  return `/client?${query.toString()}`;
}

function pickerPage(state: EmulatorState): PageAnswer {
  const groups = state.fixture.corps.map(
    (corp) =>
      html`<h2 style="padding:0 1rem">${corp.name} <span class="en">${corp.corpId}</span></h2><ul class="choices">${corp.members.map(
        (m) => html`<li><a href="${clientHref(corp, state, m.userId)}">${m.name} <span class="note">${m.userId}</span></a></li>`,
      )}</ul>`,
  );
  const body = html`<header><h1>企业微信客户端（模拟）</h1><p lang="en">WeCom client (emulated): whose phone is this?</p></header>${groups}`;
  return { kind: 'html', status: 200, html: layout('企业微信客户端（模拟）', body) };
}

function findSubject(
  state: EmulatorState,
  userId: string,
  corpId: string | null,
): { corp: FixtureCorp; member: FixtureMember } | undefined {
  for (const corp of state.fixture.corps) {
    if (corpId !== null && corp.corpId !== corpId) continue;
    const member = findMember(corp, userId);
    if (member) return { corp, member };
  }
  return undefined;
}

/** GET /client[?user=<userid>[&corp=<corpid>]]. */
export function clientPage(state: EmulatorState, req: PageRequest): PageAnswer {
  // ?user= (empty) asks for the picker even when the cookie names someone.
  if (req.query.get('user') === '') return pickerPage(state);
  const userId = req.query.get('user') ?? req.emulatorUser ?? req.cookieUser;
  if (!userId) return pickerPage(state);
  const subject = findSubject(state, userId, req.query.get('corp'));
  if (!subject) {
    const body = html`<header><h1>未知的成员</h1><p lang="en">Unknown member: not a userid of the fixture.</p></header><p style="padding:1rem"><code>${userId}</code> · <a href="/client?user=">选择成员 choose a member</a></p>`;
    return { kind: 'html', status: 400, html: layout('未知的成员', body) };
  }
  const { corp, member } = subject;
  const apps = workbenchApps(corp, member.userId);
  const others = corp.members.filter((m) => m.userId !== member.userId);
  const body = html`<header><h1>企业微信 · ${member.name}</h1><p><span lang="en">WeCom client (emulated) of</span> ${member.userId} · ${corp.name}</p></header>
<nav class="members">切换成员 <span lang="en">switch</span>：${others.map((m) => html`<a href="${clientHref(corp, state, m.userId)}">${m.name}</a>`)}</nav>
<section class="workbench"><h2>工作台 <span class="en">workbench: the app's homepage</span></h2>${workbench(apps, { corp, userId: member.userId })}</section>
${apps.map((app) => session(state, corp, app, member))}`;
  const hidden = corp.apps.filter((app) => app.enabled && !isVisible(corp, app, member.userId));
  const note = hidden.length
    ? html`<p class="note" style="padding:0 1rem">${member.name} 不在这些应用的可见范围内 · <span lang="en">outside the visible range of</span>: ${hidden.map((a) => a.name).join('、')}</p>`
    : EMPTY;
  return {
    kind: 'html',
    status: 200,
    html: layout(`企业微信 · ${member.name}`, html`${body}${note}`),
    // Session cookie, Lax: sent on the top-level redirect from the app to /connect/oauth2/authorize.
    setCookie: `${CLIENT_USER_COOKIE}=${encodeURIComponent(member.userId)}; Path=/; HttpOnly; SameSite=Lax`,
  };
}

/** The userid in the client page's cookie, if any. */
export function clientUserFromCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === CLIENT_USER_COOKIE) {
      try {
        const decoded = decodeURIComponent(value.join('='));
        return decoded === '' ? undefined : decoded;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
