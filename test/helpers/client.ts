// Helpers for driving WeComClient against the local emulator over loopback.
import { startEmulator } from '../../src/emulator/index.ts';
import type { Emulator } from '../../src/emulator/index.ts';
import { WeComClient } from '../../src/wecom/client.ts';
import type { WeComClientOptions } from '../../src/wecom/client.ts';
import { MemoryTokenCache } from '../../src/wecom/memory-token-cache.ts';
import { buildAuthorizeUrl } from '../../src/wecom/urls.ts';
import type { WeComOAuthScope } from '../../src/wecom/urls.ts';

export const CORP_ID = 'wwdemocorp0000001';
export const AGENT_ID = 1000002;
export const SECRET = 'demo-secret';
export const WECOM_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/4.1.0 MicroMessenger/7.0.1 Mobile';
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.30(0x18001e31) NetType/WIFI Language/zh_CN';

export interface LogLine {
  level: 'debug' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown> | undefined;
}

/** Every log line and every error the client tests produced, checked for leaks at the end. */
export const logLines: LogLine[] = [];
export const producedErrors: unknown[] = [];
/** Every credential value seen during the tests (tokens, codes, tickets, secrets). */
export const sensitiveValues = new Set<string>([SECRET]);

export function recordSensitive(...values: (string | undefined)[]): void {
  for (const v of values) if (v) sensitiveValues.add(v);
}

/** Collect the apps' secrets and the credentials the emulator handed out (its log keeps corpsecret redacted). */
export function harvestSensitive(emu: Emulator): void {
  for (const corp of emu.fixture.corps) for (const app of corp.apps) if (app.secret.length >= 8) recordSensitive(app.secret);
  for (const call of emu.calls) {
    recordSensitive(call.query['access_token'], call.query['code'], call.query['js_code']);
    const body = call.body as { user_ticket?: unknown } | undefined;
    if (body && typeof body.user_ticket === 'string') recordSensitive(body.user_ticket);
  }
}

/**
 * What the emulator's `expires_in` says on a repeat fetch (WeCom documents neither answer): the
 * client's tests run once with each, client.test.ts as is ('full') and client-remaining.test.ts
 * ('remaining').
 */
export const REPEAT_EXPIRES_IN: 'full' | 'remaining' = process.env['WECOM_TEST_REPEAT_EXPIRES_IN'] === 'remaining' ? 'remaining' : 'full';

export async function withEmulator(fn: (emu: Emulator) => Promise<void>): Promise<void> {
  const emu = await startEmulator({ port: 0, repeatExpiresIn: REPEAT_EXPIRES_IN });
  try {
    await fn(emu);
  } finally {
    harvestSensitive(emu);
    await emu.close();
  }
}

export function makeClient(emu: Emulator, overrides: Partial<WeComClientOptions> = {}): WeComClient {
  return new WeComClient({
    corpId: CORP_ID,
    secret: SECRET,
    agentId: AGENT_ID,
    apiBaseUrl: emu.url,
    oauthBaseUrl: emu.url,
    loginBaseUrl: emu.url,
    tokenCache: new MemoryTokenCache(),
    busyRetry: { baseDelayMs: 1 },
    logger: {
      debug: (msg, fields) => logLines.push({ level: 'debug', msg, fields }),
      warn: (msg, fields) => logLines.push({ level: 'warn', msg, fields }),
      error: (msg, fields) => logLines.push({ level: 'error', msg, fields }),
    },
    ...overrides,
  });
}

/** Walk the in-app OAuth redirect like the WeCom client would and return the code. */
export async function obtainCode(
  emu: Emulator,
  options: { user?: string; scope?: WeComOAuthScope; userAgent?: string } = {},
): Promise<string> {
  const url = buildAuthorizeUrl({
    oauthBaseUrl: emu.url,
    corpId: CORP_ID,
    redirectUri: 'http://localhost:3000/cb',
    scope: options.scope ?? 'snsapi_base',
    agentId: AGENT_ID,
    state: 'abc',
  });
  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? WECOM_UA };
  headers['X-WeCom-Emulator-User'] = options.user ?? 'zhangsan';
  const res = await fetch(url, { redirect: 'manual', headers });
  const location = res.headers.get('location');
  if (res.status !== 302 || location === null) {
    throw new Error(`authorize did not redirect: ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
  const back = new URL(location);
  if (back.searchParams.get('state') !== 'abc') throw new Error(`state not echoed: ${location}`);
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  recordSensitive(code);
  return code;
}

/** Await a rejection, keep the error for the leak check, return it. */
export async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    producedErrors.push(err);
    return err;
  }
  throw new Error('expected a rejection');
}
