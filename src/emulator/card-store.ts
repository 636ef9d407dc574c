// What the emulator remembers of the template cards it delivered: each card's TaskId and type, the
// response_codes that may update it (one from message/send, one from each button press, each usable
// once within the window: 72 hours in 更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888,
// 24 hours in older copies of 90236, so the window is an option), and what each member's copy of a
// card shows after an update (WeCom updates the copies of the members named, not the message).
import { opaque } from './tokens.ts';

export const DEFAULT_CARD_UPDATE_WINDOW_MS = 72 * 3600_000;

/** Card types whose copies update_template_card may change (94888; text_notice and news_notice only with an action_menu). */
const UPDATABLE: readonly string[] = ['button_interaction', 'vote_interaction', 'multiple_interaction'];

export interface CardRecord {
  msgid: string;
  corpId: string;
  agentId: number;
  cardType: string;
  taskId: string | undefined;
  updatable: boolean;
}

/** What a member's copy of a card shows after an update. */
export interface CardView {
  /** The button area replaced by this text, not clickable (update_template_card `button.replace_name`, or the update_button reply). */
  replaceName?: string;
  /** The whole card replaced (update_template_card `template_card`, or the update_template_card reply). */
  card?: Record<string, unknown>;
  /** Emulator clock, ms. */
  updatedAt: number;
  /** 'api' (message/update_template_card) or 'reply' (a passive reply to the button's event). */
  by: 'api' | 'reply';
}

interface CodeRecord {
  msgid: string;
  issuedAt: number;
  used: boolean;
}

export type CodeCheck = { ok: true; card: CardRecord } | { ok: false; reason: string };

export class CardStore {
  windowMs = DEFAULT_CARD_UPDATE_WINDOW_MS;
  readonly #cards = new Map<string, CardRecord>();
  readonly #codes = new Map<string, CodeRecord>();
  readonly #views = new Map<string, CardView>();
  /** "corp/agent" -> the TaskIds its cards used: WeCom refuses a TaskId an app used before. */
  readonly #taskIds = new Map<string, Set<string>>();

  register(input: Omit<CardRecord, 'updatable'> & { hasActionMenu: boolean }): void {
    const { hasActionMenu, ...card } = input;
    this.#cards.set(card.msgid, { ...card, updatable: hasActionMenu || UPDATABLE.includes(card.cardType) });
    if (card.taskId !== undefined) {
      const key = `${card.corpId}/${card.agentId}`;
      const used = this.#taskIds.get(key) ?? new Set<string>();
      used.add(card.taskId);
      this.#taskIds.set(key, used);
    }
  }

  taskIdUsed(corpId: string, agentId: number, taskId: string): boolean {
    return this.#taskIds.get(`${corpId}/${agentId}`)?.has(taskId) ?? false;
  }

  card(msgid: string): CardRecord | undefined {
    return this.#cards.get(msgid);
  }

  /** A response_code for the card of `msgid`. */
  issue(msgid: string, now: number): string {
    const code = opaque(32);
    this.#codes.set(code, { msgid, issuedAt: now, used: false });
    return code;
  }

  /** Whether `code` may update a card of the calling app now (nothing is used up). */
  check(code: string, corpId: string, agentId: number, now: number): CodeCheck {
    const record = this.#codes.get(code);
    const card = record && this.#cards.get(record.msgid);
    if (!record || !card || card.corpId !== corpId || card.agentId !== agentId) return { ok: false, reason: 'unknown response_code' };
    if (record.used) return { ok: false, reason: 'the response_code was used already (each one updates a card once)' };
    if (now - record.issuedAt > this.windowMs) return { ok: false, reason: 'the response_code is older than the update window' };
    if (!card.updatable) return { ok: false, reason: `a ${card.cardType} card without action_menu cannot be updated` };
    return { ok: true, card };
  }

  use(code: string): void {
    const record = this.#codes.get(code);
    if (record) record.used = true;
  }

  setView(msgid: string, userId: string, view: CardView): void {
    this.#views.set(`${msgid}/${userId}`, view);
  }

  view(msgid: string, userId: string): CardView | undefined {
    return this.#views.get(`${msgid}/${userId}`);
  }

  /** A member's UserID changed: their copies keep their updates. */
  renameUser(oldUserId: string, newUserId: string): void {
    for (const [key, view] of [...this.#views]) {
      const [msgid, userId] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
      if (userId !== oldUserId) continue;
      this.#views.delete(key);
      this.#views.set(`${msgid}/${newUserId}`, view);
    }
  }
}
