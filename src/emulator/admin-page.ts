// GET /admin and GET /admin/callbacks: the bits of WeCom's admin console (管理后台) the emulator
// plays. Per app, the 「接收消息」 settings (saved only after the URL check, as the console does);
// the address book (通讯录), where a member is added, edited (a new UserID, Status 2 disabled or
// 5 left) or deleted, which pushes change_contact; and every callback delivery with its attempts
// and answers. Plain HTML forms, no script; Tokens and keys are never shown (like secrets on /).
import { html } from './pages.ts';
import type { SafeHtml } from './pages.ts';
import type { CallbackDelivery } from './callback-types.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMember } from './types.ts';

const EMPTY = html``;
const STATUS_NAMES: Readonly<Record<number, string>> = {
  1: '已激活 active',
  2: '已禁用 disabled',
  4: '未激活 not active',
  5: '退出企业 left',
};

function layout(title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:64rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}.en{color:#666;font-weight:normal;font-size:.85rem}table{border-collapse:collapse;width:100%;font-size:.85rem}
td,th{border:1px solid #ddd;padding:.3rem .4rem;vertical-align:top;text-align:left}form.row{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center;margin:.2rem 0}
input[type=text]{width:9rem}.notice{background:#eef6ee;border:1px solid #9c9;padding:.5rem}.error{background:#fbeeee;border:1px solid #c99;padding:.5rem}
code{word-break:break-all}th,td.nowrap{white-space:nowrap}pre{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f6f6f6;padding:.3rem;margin:.2rem 0}.note{font-size:.8rem;color:#888}</style>
</head>
<body>
${body}
<p class="note">企业微信本地模拟器 · <span lang="en">local WeCom emulator</span> · <a href="/admin">管理后台 admin</a> · <a href="/admin/callbacks">回调记录 deliveries</a> · <a href="/">/</a></p>
</body>
</html>
`.html;
}

function hidden(fields: Record<string, string>): SafeHtml {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

function callbackForm(corp: FixtureCorp, app: FixtureApp): SafeHtml {
  const current = app.callback
    ? html`<p>URL: <code data-callback-url>${app.callback.url}</code> · ${app.callback.format ?? 'xml'} · Token / EncodingAESKey: 已设置 <span class="en">set, not shown</span></p>`
    : html`<p data-callback-url="">未设置 <span class="en">not set: WeCom pushes nothing to this app</span></p>`;
  return html`<section data-agentid="${app.agentId}"><h3>${app.name} <span class="en">agentId ${app.agentId} · 接收消息 API receive</span></h3>${current}
<form class="row" method="post" action="/admin/callback">${hidden({ corp: corp.corpId, agentid: String(app.agentId) })}
<label>URL <input type="text" name="url" style="width:18rem" value="${app.callback?.url ?? ''}"></label>
<label>Token <input type="text" name="token"></label><label>EncodingAESKey <input type="text" name="encodingAESKey" style="width:22rem"></label>
<select name="format"><option value="xml">XML</option><option value="json"${app.callback?.format === 'json' ? html` selected` : EMPTY}>JSON</option></select><button type="submit">保存 save (checks the URL)</button></form></section>`;
}

function memberRow(corp: FixtureCorp, member: FixtureMember): SafeHtml {
  const who = { corp: corp.corpId, userId: member.userId };
  const statuses = [1, 2, 4, 5].map(
    (s) => html`<option value="${s}"${(member.status ?? 1) === s ? html` selected` : EMPTY}>${STATUS_NAMES[s] ?? String(s)}</option>`,
  );
  return html`<tr data-userid="${member.userId}"><td class="nowrap">${member.userId}</td><td class="nowrap">${member.name}</td><td>${member.department.join(',')}</td><td class="nowrap">${STATUS_NAMES[member.status ?? 1] ?? ''}</td><td>
<form class="row" method="post" action="/admin/members">${hidden({ ...who, action: 'update' })}
<input type="text" name="name" value="${member.name}" aria-label="name"><input type="text" name="position" value="${member.position ?? ''}" aria-label="position" placeholder="position">
<input type="text" name="department" value="${member.department.join(',')}" aria-label="department" style="width:4rem"><select name="status">${statuses}</select>
<input type="text" name="newUserId" placeholder="NewUserID" aria-label="new userid"><button type="submit" data-action="update">保存 update</button></form>
<form class="row" method="post" action="/admin/members">${hidden({ ...who, action: 'delete' })}<button type="submit" data-action="delete">删除 delete</button></form></td></tr>`;
}

function addForm(corp: FixtureCorp): SafeHtml {
  const apps = corp.apps.map(
    (app) =>
      html`<label><input type="checkbox" name="visibleIn" value="${app.agentId}"> ${app.name} 可见 <span class="en">visible</span></label>`,
  );
  return html`<form class="row" method="post" action="/admin/members">${hidden({ corp: corp.corpId, action: 'create' })}
<input type="text" name="userId" placeholder="UserID" aria-label="userid"><input type="text" name="name" placeholder="姓名 name" aria-label="name">
<input type="text" name="department" value="1" aria-label="department" style="width:4rem"><input type="text" name="position" placeholder="position" aria-label="position">
${apps}<button type="submit" data-action="create">添加成员 add member</button></form>`;
}

export function adminPage(state: EmulatorState, notice: string | null, error: string | null): string {
  const corps = state.fixture.corps.map(
    (corp) => html`<h2>${corp.name} <span class="en">${corp.corpId}</span></h2>${corp.apps.map((app) => callbackForm(corp, app))}
<h3>通讯录 <span class="en">address book: changes push change_contact to the apps that see the member</span></h3>
<table><thead><tr><th>UserID</th><th>姓名</th><th>部门</th><th>状态 status</th><th></th></tr></thead><tbody>${corp.members.map((m) => memberRow(corp, m))}</tbody></table>${addForm(corp)}`,
  );
  const banner = html`${notice ? html`<p class="notice" role="status">${notice}</p>` : EMPTY}${error ? html`<p class="error" role="alert">${error}</p>` : EMPTY}`;
  return layout(
    '管理后台（模拟）',
    html`<h1>管理后台（模拟） <span class="en">WeCom admin console (emulated)</span></h1>${banner}${corps}`,
  );
}

function attemptsCell(delivery: CallbackDelivery): SafeHtml {
  const items = delivery.attempts.map(
    (a, i) =>
      html`<li>#${i + 1} ${new Date(a.at).toISOString()} · ${a.outcome}${a.status === undefined ? EMPTY : html` HTTP ${a.status}`} · ${a.ms} ms${
        a.error ? html` · ${a.error}` : EMPTY
      }${a.body ? html`<details><summary>answer</summary><pre>${a.body.slice(0, 500)}</pre></details>` : EMPTY}</li>`,
  );
  return html`<ol style="margin:0;padding-left:1.2rem">${items}</ol>`;
}

export function deliveriesPage(deliveries: readonly CallbackDelivery[]): string {
  const rows = [...deliveries].reverse().map(
    (d) =>
      html`<tr data-delivery="${d.id}" data-event="${d.event}" data-state="${d.state}"><td>${d.id}</td><td>${new Date(d.createdAt).toISOString()}</td><td>${d.event}<br><span class="note">${d.from}</span></td>
<td>${d.corpId}<br>${d.agentId}</td><td><code>${d.url}</code><br>${d.format}</td><td>${d.state}</td><td>${attemptsCell(d)}</td><td>${
        d.reply ? html`${d.reply.outcome}${d.reply.msgType ? html` (${d.reply.msgType})` : EMPTY}: ${d.reply.detail}` : EMPTY
      }</td><td><details><summary>message</summary><pre>${d.message}</pre></details></td></tr>`,
  );
  const table = rows.length
    ? html`<table><thead><tr><th>#</th><th>时间 time</th><th>事件 event</th><th>企业/应用</th><th>URL</th><th>状态 state</th><th>尝试 attempts</th><th>被动回复 reply</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
    : html`<p>暂无回调 <span class="en">no deliveries yet</span></p>`;
  return layout(
    '回调记录（模拟）',
    html`<h1>回调记录 <span class="en">callback deliveries, newest first (emulator clock)</span></h1>${table}`,
  );
}

/** A short error page for a refused admin or client action, with a way back. */
export function actionErrorPage(message: string, back: string): string {
  return layout(
    '操作失败',
    html`<h1>操作失败 <span class="en">refused</span></h1><p class="error">${message}</p><p><a href="${back}">返回 back</a></p>`,
  );
}
