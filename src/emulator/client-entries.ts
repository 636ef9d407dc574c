// What /client shows for an app with 「接收消息」 settings: entries that make WeCom push an event
// before (or instead of) opening the app. The workbench entry sends enter_agent and opens the
// homepage; a view item of the custom menu sends view and opens its link; a click item sends click
// and opens nothing (事件格式, https://developer.work.weixin.qq.com/document/path/90240); a
// button_interaction card shows its buttons, and a press sends template_card_event with the
// card's TaskId and the button's key. Without settings the entries stay plain links, as before.
// Forms post to the emulator's own /client/... paths (console-routes.ts); no script.
import { html } from './pages.ts';
import type { SafeHtml } from './pages.ts';
import type { CardView } from './card-store.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMenuButton, SentMessage } from './types.ts';

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

/** Whose client page this is. */
export interface EntryContext {
  corp: FixtureCorp;
  userId: string;
}

function who(ctx: EntryContext): Record<string, string> {
  return { corp: ctx.corp.corpId, user: ctx.userId };
}

function hidden(fields: Record<string, string>): SafeHtml {
  return html`${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}`;
}

/** The workbench entry's link: through /client/enter (enter_agent, then the homepage) when the app has settings. */
export function workbenchHref(ctx: EntryContext, app: FixtureApp): string | undefined {
  const home = httpUrl(app.homeUrl);
  if (home === undefined || app.callback === undefined) return home;
  return `/client/enter?${new URLSearchParams({ ...who(ctx), agentid: String(app.agentId) }).toString()}`;
}

/** A click or view item of an app with settings (`item`: its place, "1" or "1.0"); undefined for the plain entries. */
export function menuEntryWithEvent(ctx: EntryContext, app: FixtureApp, button: FixtureMenuButton, item: string): SafeHtml | undefined {
  if (app.callback === undefined) return undefined;
  const fields = { ...who(ctx), agentid: String(app.agentId), item };
  if (button.type === 'view' && httpUrl(button.url) !== undefined) {
    return html`<a data-entry="menu" data-event="view" href="/client/view?${new URLSearchParams(fields).toString()}">${button.name}</a>`;
  }
  if (button.type === 'click') {
    return html`<form method="post" action="/client/click" style="margin:0">${hidden(fields)}<button type="submit" data-entry="menu-click" data-key="${button.key ?? ''}" style="border:none;background:none;color:#2a6ee8;font:inherit;cursor:pointer">${button.name}</button></form>`;
  }
  return undefined;
}

/** The card a member's copy shows: the original, or what an update replaced it with. */
export function shownCard(message: SentMessage, view: CardView | undefined): Obj {
  return view?.card ?? message.content;
}

function buttons(ctx: EntryContext, message: SentMessage, card: Obj, view: CardView | undefined): SafeHtml {
  if (view?.replaceName !== undefined) {
    return html`<p class="card-buttons" data-replaced="true" style="border-top:1px solid #eee;margin:.6rem 0 0;padding-top:.5rem;color:#999;text-align:center">${view.replaceName}</p>`;
  }
  const list = (Array.isArray(card['button_list']) ? card['button_list'] : []).filter(isObj);
  const items = list.map((button) => {
    const label = text(button['text']);
    if (Number(button['type'] ?? 0) === 1) {
      const href = httpUrl(button['url']);
      return href === undefined
        ? html`<span class="inert">${label}</span>`
        : html`<a data-entry="card-button-link" href="${href}">${label}</a>`;
    }
    const fields = { ...who(ctx), msgid: message.msgid, key: text(button['key']) };
    return html`<form method="post" action="/client/card" style="display:inline;margin:0 .3rem">${hidden(fields)}<button type="submit" data-entry="card-button" data-key="${text(button['key'])}">${label}</button></form>`;
  });
  return html`<div class="card-buttons" style="border-top:1px solid #eee;margin:.6rem 0 0;padding-top:.5rem;text-align:center">${items}</div>`;
}

/** A button_interaction card as WeCom draws it: title, texts, key/value rows, and its buttons. */
export function interactiveCard(state: EmulatorState, ctx: EntryContext, message: SentMessage): SafeHtml {
  const view = state.callbacks.cards.view(message.msgid, ctx.userId);
  const card = shownCard(message, view);
  const cardType = text(card['card_type']);
  if (cardType !== 'button_interaction') {
    return html`<p class="note">[模板卡片 ${cardType}] 模拟器只显示文本通知型和按钮交互型 · <span lang="en">only text_notice and button_interaction cards are drawn</span></p>`;
  }
  const source = isObj(card['source']) ? card['source'] : {};
  const main = isObj(card['main_title']) ? card['main_title'] : {};
  const rows = (Array.isArray(card['horizontal_content_list']) ? card['horizontal_content_list'] : [])
    .filter(isObj)
    .map((row) => html`<dt>${text(row['keyname'])}</dt><dd>${text(row['value'])}</dd>`);
  return html`<div class="card" data-card-type="button_interaction" data-task-id="${text(message.content['task_id'])}">${
    text(source['desc']) ? html`<p class="source">${text(source['desc'])}</p>` : EMPTY
  }<h3>${text(main['title'])}</h3>${text(main['desc']) ? html`<p class="gray">${text(main['desc'])}</p>` : EMPTY}${
    text(card['sub_title_text']) ? html`<p class="desc">${text(card['sub_title_text'])}</p>` : EMPTY
  }${rows.length ? html`<dl class="hlist">${rows}</dl>` : EMPTY}</div>${buttons(ctx, message, card, view)}`;
}
