// What message/send accepted: the log the tests read and the client page renders, the per-member
// send times behind WeCom's 30-a-minute / 1,000-an-hour limit, and the duplicate-check memory.
import type { SentMessage } from './types.ts';

/** The log keeps the newest messages only, like the call log. */
export const MAX_MESSAGES = 10_000;

const HOUR_MS = 3600_000;

export class MessageStore {
  readonly #list: SentMessage[] = [];
  readonly #byId = new Map<string, SentMessage>();
  /** "corp/agent/userid" -> delivery times within the last hour. */
  readonly #deliveries = new Map<string, number[]>();
  /** "corp/agent/<request JSON>" -> the message it produced and until when it counts as a duplicate. */
  readonly #duplicates = new Map<string, { msgid: string; until: number }>();

  get list(): readonly SentMessage[] {
    return this.#list;
  }

  add(message: SentMessage): void {
    this.#list.push(message);
    this.#byId.set(message.msgid, message);
    if (this.#list.length > MAX_MESSAGES + 1000) {
      for (const old of this.#list.splice(0, this.#list.length - MAX_MESSAGES)) this.#byId.delete(old.msgid);
    }
  }

  get(msgid: string): SentMessage | undefined {
    return this.#byId.get(msgid);
  }

  /** The messages delivered to a member, oldest first. */
  inbox(userId: string, filter: { corpId?: string | undefined; agentId?: number | undefined } = {}): SentMessage[] {
    return this.#list.filter(
      (m) =>
        m.deliveredTo.includes(userId) &&
        (filter.corpId === undefined || m.corpId === filter.corpId) &&
        (filter.agentId === undefined || m.agentId === filter.agentId),
    );
  }

  /** How many messages of this app the member received in the last `windowMs` (at most an hour). */
  recentDeliveries(key: string, now: number, windowMs: number): number {
    const times = this.#deliveries.get(key);
    if (!times) return 0;
    return times.filter((t) => t > now - windowMs && t <= now).length;
  }

  recordDelivery(key: string, now: number): void {
    const recent = (this.#deliveries.get(key) ?? []).filter((t) => t > now - HOUR_MS && t <= now);
    recent.push(now);
    this.#deliveries.set(key, recent);
  }

  /** The msgid of an identical request still inside its duplicate-check interval. */
  duplicateOf(key: string, now: number): string | undefined {
    const entry = this.#duplicates.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.#duplicates.delete(key);
      return undefined;
    }
    return entry.msgid;
  }

  rememberRequest(key: string, msgid: string, until: number): void {
    if (this.#duplicates.size > MAX_MESSAGES) this.#duplicates.clear();
    this.#duplicates.set(key, { msgid, until });
  }
}
