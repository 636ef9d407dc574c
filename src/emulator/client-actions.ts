// What a member does on /client that WeCom turns into a callback (client-entries.ts draws the
// entries): GET /client/enter (the workbench entry: enter_agent, then the homepage), GET
// /client/view (a view item: view, then its link), POST /client/click (a click item: click, back
// to the chat) and POST /client/card (a card button: template_card_event; the page waits for the
// first attempt, at most the delivery timeout, so that a passive reply or an update the app made
// while answering shows on the page it returns to). The menu item and the button are looked up
// in the fixture and the message, never taken from the request, so a request can only press
// what the member's WeCom shows.
import { findApp, findMember, isVisible } from './state.ts';
import { shownCard } from './client-entries.ts';
import type { Callbacks } from './callbacks.ts';
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp, FixtureMember, FixtureMenuButton } from './types.ts';

export type ActionAnswer = { kind: 'redirect'; status: 302 | 303; location: string } | { kind: 'error'; status: number; message: string };

interface Subject {
  corp: FixtureCorp;
  member: FixtureMember;
}

function subject(state: EmulatorState, params: URLSearchParams): Subject | undefined {
  const corp =
    state.fixture.corps.find((c) => c.corpId === params.get('corp')) ?? (params.has('corp') ? undefined : state.fixture.corps[0]);
  const member = corp && findMember(corp, params.get('user') ?? '');
  return corp && member ? { corp, member } : undefined;
}

function clientPage(s: Subject): string {
  return `/client?${new URLSearchParams({ user: s.member.userId, corp: s.corp.corpId }).toString()}`;
}

const refused = (status: number, message: string): ActionAnswer => ({ kind: 'error', status, message });

/** The app, enabled and with the member in its visible range (the workbench shows no other). */
function memberApp(s: Subject, params: URLSearchParams): FixtureApp | undefined {
  const raw = params.get('agentid') ?? '';
  const app = /^\d{1,16}$/.test(raw) ? findApp(s.corp, Number(raw)) : undefined;
  return app && app.enabled && isVisible(s.corp, app, s.member.userId) ? app : undefined;
}

function menuItem(app: FixtureApp, item: string | null): FixtureMenuButton | undefined {
  const [top, sub] = (item ?? '').split('.').map((p) => (/^\d$/.test(p) ? Number(p) : NaN));
  const button = top === undefined || Number.isNaN(top) ? undefined : app.menu?.[top];
  if (sub === undefined) return button?.sub_button ? undefined : button;
  return Number.isNaN(sub) ? undefined : button?.sub_button?.[sub];
}

export function enter(state: EmulatorState, callbacks: Callbacks, params: URLSearchParams): ActionAnswer {
  const s = subject(state, params);
  if (!s) return refused(400, 'unknown corp or member');
  const app = memberApp(s, params);
  if (!app) return refused(404, "no such app in this member's workbench");
  callbacks.enterAgent(s.corp, app, s.member);
  return { kind: 'redirect', status: 302, location: app.homeUrl ?? clientPage(s) };
}

export function view(state: EmulatorState, callbacks: Callbacks, params: URLSearchParams): ActionAnswer {
  const s = subject(state, params);
  const app = s && memberApp(s, params);
  const button = app && menuItem(app, params.get('item'));
  if (!s || !app || button?.type !== 'view' || button.url === undefined) return refused(404, 'no such view item in the menu');
  callbacks.menuView(s.corp, app, s.member, button.url);
  return { kind: 'redirect', status: 302, location: button.url };
}

export function click(state: EmulatorState, callbacks: Callbacks, form: URLSearchParams): ActionAnswer {
  const s = subject(state, form);
  const app = s && memberApp(s, form);
  const button = app && menuItem(app, form.get('item'));
  if (!s || !app || button?.type !== 'click' || button.key === undefined) return refused(404, 'no such click item in the menu');
  callbacks.menuClick(s.corp, app, s.member, button.key);
  return { kind: 'redirect', status: 303, location: clientPage(s) };
}

export async function pressCard(state: EmulatorState, callbacks: Callbacks, form: URLSearchParams): Promise<ActionAnswer> {
  const s = subject(state, form);
  if (!s) return refused(400, 'unknown corp or member');
  const message = state.messages.get(form.get('msgid') ?? '');
  if (!message || message.corpId !== s.corp.corpId || !message.deliveredTo.includes(s.member.userId) || message.recalledAt !== undefined) {
    return refused(404, "no such card in this member's chats");
  }
  const view = state.callbacks.cards.view(message.msgid, s.member.userId);
  const card = shownCard(message, view);
  const key = form.get('key') ?? '';
  const list = Array.isArray(card['button_list']) ? (card['button_list'] as unknown[]) : [];
  const button = list.find((b) => typeof b === 'object' && b !== null && (b as Record<string, unknown>)['key'] === key);
  if (view?.replaceName !== undefined || card['card_type'] !== 'button_interaction' || key === '' || !button) {
    return refused(409, 'the card shows no such button (any more)');
  }
  const app = findApp(s.corp, message.agentId);
  const taskId = typeof message.content['task_id'] === 'string' ? message.content['task_id'] : '';
  const pushed = app && callbacks.cardPress(s.corp, app, s.member, { msgid: message.msgid, key, taskId, cardType: 'button_interaction' });
  if (pushed) await pushed.firstAttempt;
  return { kind: 'redirect', status: 303, location: clientPage(s) };
}
