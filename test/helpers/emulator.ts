// Shared helpers for the emulator tests: real HTTP over loopback with the global fetch.
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.ts';
import type { TestContext } from 'node:test';
import type { Emulator, EmulatorFixture, EmulatorOptions, FixtureApp, FixtureCorp } from '../../src/emulator/index.ts';

export const CORP = 'wwdemocorp0000001';
export const AGENT = 1000002;
export const SECRET = 'demo-secret';
export const REDIRECT = 'http://localhost:3000/auth/wecom/callback';

// User agents from docs/wecom-api.md §9.
export const UA = {
  wecomIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 wxwork/3.1.12 MicroMessenger/7.0.1 Language/zh ColorScheme/Light',
  wecomAndroid:
    'Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0 Mobile Safari/537.36 wxwork/3.0.28 MicroMessenger/7.0.1 NetType/WIFI Language/en',
  wecomWindows:
    'Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.116 Safari/537.36 wxwork/3.1.1 (MicroMessenger/6.2) WindowsWechat',
  wecomMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) wxwork/3.0.8 (MicroMessenger/6.2) WeChat/2.0.4',
  wechat:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40 NetType/WIFI Language/zh_CN',
  browser: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
} as const;

/** The first corp of a fixture (the demo corp in defaultFixture()). */
export function corpOf(fixture: EmulatorFixture): FixtureCorp {
  const corp = fixture.corps[0];
  assert.ok(corp);
  return corp;
}

/** The first app of the first corp (agent 1000002 in defaultFixture()). */
export function appOf(fixture: EmulatorFixture): FixtureApp {
  const app = corpOf(fixture).apps[0];
  assert.ok(app);
  return app;
}

/** Starts an emulator that the test closes when it ends. */
export async function start(t: TestContext, options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  t.after(() => emulator.close());
  return emulator;
}

export type Json = Record<string, unknown>;

export async function getJson(emulator: Emulator, path: string, query: Record<string, string | number> = {}): Promise<Json> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${emulator.url}${path}?${qs.toString()}`);
  assert.equal(res.status, 200, `${path} answered HTTP ${res.status}`);
  return (await res.json()) as Json;
}

export async function postJson(emulator: Emulator, path: string, query: Record<string, string>, body: unknown): Promise<Json> {
  const res = await fetch(`${emulator.url}${path}?${new URLSearchParams(query).toString()}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Json;
}

export async function token(emulator: Emulator, corpid = CORP, corpsecret = SECRET): Promise<string> {
  const body = await getJson(emulator, '/cgi-bin/gettoken', { corpid, corpsecret });
  assert.equal(body['errcode'], 0, JSON.stringify(body));
  assert.equal(typeof body['access_token'], 'string');
  return body['access_token'] as string;
}

export interface AuthorizeInput {
  scope?: string;
  state?: string;
  agentid?: number | null;
  redirectUri?: string;
  userAgent?: string;
  user?: string;
  appid?: string;
}

export function authorizeUrl(emulator: Emulator, input: AuthorizeInput = {}): string {
  const q = new URLSearchParams({
    appid: input.appid ?? CORP,
    redirect_uri: input.redirectUri ?? REDIRECT,
    response_type: 'code',
    scope: input.scope ?? 'snsapi_base',
  });
  if (input.agentid !== null) q.set('agentid', String(input.agentid ?? AGENT));
  q.set('state', input.state ?? 'abc123');
  return `${emulator.url}/connect/oauth2/authorize?${q.toString()}#wechat_redirect`;
}

export async function authorize(emulator: Emulator, input: AuthorizeInput = {}): Promise<Response> {
  const headers: Record<string, string> = { 'user-agent': input.userAgent ?? UA.wecomIos };
  if (input.user !== undefined) headers['x-wecom-emulator-user'] = input.user;
  return fetch(authorizeUrl(emulator, input), { redirect: 'manual', headers });
}

/** Runs the silent in-app authorize and returns the code from the redirect. */
export async function issueCode(emulator: Emulator, input: AuthorizeInput = {}): Promise<string> {
  const res = await authorize(emulator, input);
  assert.equal(res.status, 302, `authorize answered ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('location') ?? '');
  const code = location.searchParams.get('code');
  assert.ok(code);
  return code;
}
