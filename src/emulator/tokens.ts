// Access tokens, JS-SDK tickets and user_tickets: opaque random strings with a lifetime on the
// emulator clock.
import { randomBytes } from 'node:crypto';

export const TOKEN_TTL_MS = 7200_000; // gettoken expires_in (docs/wecom-api.md §3)
export const TICKET_TTL_MS = 7200_000; // jsapi / agent_config ticket expires_in (docs/wecom-api.md §7)
export const USER_TICKET_TTL_MS = 1800_000; // user_ticket (docs/wecom-api.md §4)

/** base64url; WeCom promises at most 512 bytes for tokens, codes and tickets. */
export function opaque(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

interface TokenRecord {
  corpId: string;
  agentId: number;
  expiresAt: number;
  revoked: boolean;
}

export type TokenCheck = { ok: true; corpId: string; agentId: number } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/**
 * One token per app (corp + agent). A re-fetch while the token is valid returns the same token
 * (D-token-2020, docs/wecom-api.md §3): fetching does not invalidate the previous one.
 */
export class AccessTokens {
  #byToken = new Map<string, TokenRecord>();
  #current = new Map<string, string>(); // "corp/agent" -> token

  /** The app's token and when it expires (a repeat fetch does not extend it). */
  issue(corpId: string, agentId: number, now: number): { token: string; expiresAt: number } {
    const key = `${corpId}/${agentId}`;
    const current = this.#current.get(key);
    const record = current === undefined ? undefined : this.#byToken.get(current);
    if (current !== undefined && record && !record.revoked && record.expiresAt > now)
      return { token: current, expiresAt: record.expiresAt };
    this.#prune(now);
    const token = opaque(96); // 128 characters: long like real tokens, well under 512 bytes
    const expiresAt = now + TOKEN_TTL_MS;
    this.#byToken.set(token, { corpId, agentId, expiresAt, revoked: false });
    this.#current.set(key, token);
    return { token, expiresAt };
  }

  check(token: string, now: number): TokenCheck {
    const record = this.#byToken.get(token);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revoked) return { ok: false, reason: 'revoked' };
    if (record.expiresAt <= now) return { ok: false, reason: 'expired' };
    return { ok: true, corpId: record.corpId, agentId: record.agentId };
  }

  /** WeCom may invalidate tokens early (docs/wecom-api.md §3); the next gettoken issues a new one. */
  revoke(filter: { corpId?: string; agentId?: number } = {}): void {
    for (const record of this.#byToken.values()) {
      if (filter.corpId !== undefined && record.corpId !== filter.corpId) continue;
      if (filter.agentId !== undefined && record.agentId !== filter.agentId) continue;
      record.revoked = true;
    }
  }

  // Keep expired tokens for a day so they answer 42001 rather than 40014; drop older ones.
  #prune(now: number): void {
    for (const [token, record] of this.#byToken) {
      if (record.expiresAt + 86_400_000 < now) this.#byToken.delete(token);
    }
  }
}

/** JS-SDK tickets: the same ticket while valid, per corp (jsapi) or per app (agent_config). */
export class Tickets {
  #byKey = new Map<string, { ticket: string; expiresAt: number }>();

  get(key: string, now: number): { ticket: string; expiresAt: number } {
    const current = this.#byKey.get(key);
    if (current && current.expiresAt > now) return { ...current };
    const issued = { ticket: opaque(64), expiresAt: now + TICKET_TTL_MS };
    this.#byKey.set(key, issued);
    return { ...issued };
  }
}

export interface UserTicketRecord {
  corpId: string;
  agentId: number;
  userId: string;
  expiresAt: number;
}

export class UserTickets {
  #byTicket = new Map<string, UserTicketRecord>();

  issue(corpId: string, agentId: number, userId: string, now: number): string {
    for (const [t, r] of this.#byTicket) if (r.expiresAt <= now) this.#byTicket.delete(t);
    const ticket = opaque(96);
    this.#byTicket.set(ticket, { corpId, agentId, userId, expiresAt: now + USER_TICKET_TTL_MS });
    return ticket;
  }

  get(ticket: string, now: number): UserTicketRecord | undefined {
    const record = this.#byTicket.get(ticket);
    return record && record.expiresAt > now ? record : undefined;
  }
}

/** Sliding one-hour window of call times per key, for the ticket limits of docs/wecom-api.md §7. */
export class RateWindow {
  #hits = new Map<string, number[]>();
  readonly limit: number;
  readonly windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Records a call; false when the key is over its limit (the call is still counted, as WeCom counts every call). */
  hit(key: string, now: number): boolean {
    const recent = (this.#hits.get(key) ?? []).filter((t) => t > now - this.windowMs && t <= now);
    recent.push(now);
    this.#hits.set(key, recent);
    return recent.length <= this.limit;
  }
}
