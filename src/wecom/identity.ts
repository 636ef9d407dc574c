/**
 * Who is logging in, from an OAuth code (docs/wecom-api.md §4). Two endpoints, one result type:
 * - `auth/getuserinfo` (current): `userid` + `user_ticket` for members, `openid` (+`external_userid`) otherwise;
 * - `user/getuserinfo` (legacy): PascalCase `UserId` / `DeviceId` / `OpenId` (+`user_ticket`, `expires_in`).
 */
import { WeComHttpError } from './errors.ts';

export type IdentityEndpoint = 'user/getuserinfo' | 'auth/getuserinfo';

export type WeComIdentity =
  | {
      type: 'member';
      userId: string;
      deviceId?: string;
      /** Only for scope snsapi_privateinfo and a member in the app's visible range. */
      userTicket?: string;
      /** ms since the epoch. */
      userTicketExpiresAt?: number;
    }
  | {
      type: 'non-member';
      openId: string;
      deviceId?: string;
      /** Only when the person is a customer of a member in the app's visible range. */
      externalUserId?: string;
    };

/** D-who: user_ticket is valid 1800 s when WeCom does not say. */
export const DEFAULT_USER_TICKET_LIFETIME_SECONDS = 1800;

export const MAX_CODE_BYTES = 512;

/** A code must be a non-empty string of at most 512 bytes (D-auth); checked before any request. */
export function assertCode(fn: string, code: unknown, what = 'code'): asserts code is string {
  if (typeof code !== 'string' || code === '') {
    throw new TypeError(`${fn}: the ${what} must be a non-empty string (take it from the callback's query string).`);
  }
  if (Buffer.byteLength(code, 'utf8') > MAX_CODE_BYTES) {
    throw new TypeError(`${fn}: the ${what} is longer than ${MAX_CODE_BYTES} bytes, which WeCom never issues.`);
  }
}

function str(body: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = body[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function num(body: Record<string, unknown>, name: string): number | undefined {
  const value = body[name];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** Normalise either endpoint's successful body. Both spellings are accepted from both endpoints. */
export function normaliseIdentity(api: IdentityEndpoint, body: Record<string, unknown>, nowMs: number): WeComIdentity {
  const deviceId = str(body, 'DeviceId', 'deviceid', 'device_id');
  const userId = str(body, 'userid', 'UserId');
  if (userId !== undefined) {
    const identity: WeComIdentity = { type: 'member', userId };
    if (deviceId !== undefined) identity.deviceId = deviceId;
    const ticket = str(body, 'user_ticket');
    if (ticket !== undefined) {
      identity.userTicket = ticket;
      const expiresIn = num(body, 'expires_in') ?? DEFAULT_USER_TICKET_LIFETIME_SECONDS;
      identity.userTicketExpiresAt = nowMs + expiresIn * 1000;
    }
    return identity;
  }
  const openId = str(body, 'openid', 'OpenId');
  if (openId !== undefined) {
    const identity: WeComIdentity = { type: 'non-member', openId };
    if (deviceId !== undefined) identity.deviceId = deviceId;
    const external = str(body, 'external_userid', 'ExternalUserId');
    if (external !== undefined) identity.externalUserId = external;
    return identity;
  }
  throw new WeComHttpError(api, 'unexpected-body', 'the answer has neither a userid nor an openid');
}
