// What every /cgi-bin/<api> handler shares: the request and answer shapes and three helpers.
// Handlers live in api.ts (login, profile, tickets), messages.ts, menu.ts and agent.ts; each is a
// synchronous function of the state and the request.
import type { EmulatorState } from './state.ts';
import type { FixtureApp, FixtureCorp } from './types.ts';

export interface ApiRequest {
  /** The path after /cgi-bin/. */
  api: string;
  method: string;
  query: URLSearchParams;
  /** Parsed JSON body of a POST, if any. */
  body: unknown;
  /** The POST body was not valid JSON. */
  bodyInvalid: boolean;
  ip: string;
}

export interface ApiAnswer {
  errcode: number;
  /** Success: the whole body. Error: extra fields after errcode/errmsg (e.g. empty lists). */
  body: Record<string, unknown>;
  /** An errmsg text more precise than the errcode's usual one (the envelope adds the hint). */
  text?: string;
}

/** The app whose access_token made the call. */
export interface Caller {
  corp: FixtureCorp;
  app: FixtureApp;
}

export type Handler = (state: EmulatorState, req: ApiRequest, caller: Caller) => ApiAnswer;

export const ok = (body: Record<string, unknown>): ApiAnswer => ({ errcode: 0, body: { errcode: 0, errmsg: 'ok', ...body } });

export const fail = (errcode: number, extra: Record<string, unknown> = {}, text?: string): ApiAnswer =>
  text === undefined ? { errcode, body: extra } : { errcode, body: extra, text };

/** A query parameter, first occurrence; '' counts as missing, as WeCom treats empty values. */
export function param(req: ApiRequest, name: string): string | undefined {
  const value = req.query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** The JSON object body of a POST: 43002 for another method, 47001 when it is not a JSON object. */
export function jsonBody(req: ApiRequest): { body: Record<string, unknown> } | { refused: ApiAnswer } {
  if (req.method !== 'POST') return { refused: fail(43002) };
  const body = req.body;
  if (req.bodyInvalid || typeof body !== 'object' || body === null || Array.isArray(body)) return { refused: fail(47001) };
  return { body: body as Record<string, unknown> };
}

/** UTF-8 length, the unit of WeCom's field limits. */
export function byteLength(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * `agentid` (a JSON number, or digits in a string or query) must name the caller's own app:
 * missing 41011, not an app of the corp 40056, another app of the corp 301002
 * (https://developer.work.weixin.qq.com/document/path/90313).
 */
export function ownAgent(raw: unknown, caller: Caller): ApiAnswer | undefined {
  if (raw === undefined || raw === null || raw === '') return fail(41011);
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || !caller.corp.apps.some((a) => a.agentId === id)) return fail(40056);
  if (id !== caller.app.agentId) return fail(301002);
  return undefined;
}
