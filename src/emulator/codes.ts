// OAuth codes and mini-program js_codes (docs/emulator.md, items 5 and 10): opaque, at most 512 bytes,
// single use, valid 5 minutes on the emulator clock.
import { opaque } from './tokens.ts';

export const CODE_TTL_MS = 300_000; // "expires after 5 min" (docs/wecom-api.md §4, §6)

export type Actor = { kind: 'member'; userId: string } | { kind: 'nonMember'; openId: string };

export type OAuthScope = 'snsapi_base' | 'snsapi_privateinfo' | 'snsapi_userinfo';

export interface OAuthCode {
  corpId: string;
  agentId: number | undefined;
  /** host[:port] of the redirect_uri, compared with the exchanging app's trustedDomains. */
  redirectHost: string;
  /** The effective scope (privateinfo without agentid is recorded as snsapi_base). */
  scope: OAuthScope;
  actor: Actor;
  /** 'weblogin' codes never yield a user_ticket (docs/wecom-api.md §2). */
  flow: 'oauth' | 'weblogin';
  issuedAt: number;
}

export interface MiniProgramCode {
  /** The corp of the member who logged in. */
  corpId: string;
  userId: string;
  appId: string;
  issuedAt: number;
}

/**
 * Single-use store. `consume` looks the code up and deletes it in one synchronous step, so of two
 * concurrent exchanges exactly one gets the binding and the other 40029, as with two servers
 * racing on a refreshed callback (docs/wecom-api.md §4).
 */
class SingleUse<T extends { issuedAt: number }> {
  #byCode = new Map<string, T>();

  issue(binding: T): string {
    for (const [c, b] of this.#byCode) if (b.issuedAt + CODE_TTL_MS <= binding.issuedAt) this.#byCode.delete(c);
    const code = opaque(24); // 32 characters, like WeCom's codes
    this.#byCode.set(code, binding);
    return code;
  }

  /** The binding if the code exists, is unused and younger than 5 minutes; the code is burnt either way. */
  consume(code: string, now: number): T | undefined {
    const binding = this.#byCode.get(code);
    this.#byCode.delete(code);
    if (!binding || now - binding.issuedAt >= CODE_TTL_MS) return undefined;
    return binding;
  }
}

export class OAuthCodes extends SingleUse<OAuthCode> {}
export class MiniProgramCodes extends SingleUse<MiniProgramCode> {}
