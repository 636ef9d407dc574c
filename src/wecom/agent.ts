/**
 * The app's own settings: agent/get and agent/set, for the homepage (应用主页, `home_url`) that the
 * workbench opens.
 *
 * - https://developer.work.weixin.qq.com/document/path/90227 (get: own app only)
 * - https://developer.work.weixin.qq.com/document/path/90228 (set: self-built apps only, not
 *   third-party or 代开发 apps; name at most 32 characters, description 4-120, home_url http(s))
 * - https://developer.work.weixin.qq.com/document/path/90313 (45022 name, 45004 description,
 *   40094 home_url, 85005 unverified redirect_domain)
 *
 * The visible range cannot be set through the API: only in the admin console.
 */
import { requireAgentId } from './api-call.ts';
import type { ApiCall } from './api-call.ts';
import { WeComHttpError } from './errors.ts';
import { WeComRequestError } from './request-error.ts';

export interface WeComAgent {
  agentId: number;
  name: string;
  description: string;
  squareLogoUrl: string;
  /** The visible range as configured: departments and tags are not expanded into members. */
  allowUserIds: string[];
  allowPartyIds: number[];
  allowTagIds: number[];
  /** The app is disabled (`close: 1`). */
  closed: boolean;
  /** The trusted domain (可信域名). */
  redirectDomain: string;
  /** The homepage (应用主页), '' when none is set. */
  homeUrl: string;
  reportLocationFlag: boolean;
  isReportEnter: boolean;
}

export interface AgentSettings {
  /** At most 32 characters. */
  name?: string;
  /** 4 to 120 characters. */
  description?: string;
  /** The homepage the workbench opens: an absolute http(s) URL. */
  homeUrl?: string;
  /** The trusted domain; WeCom takes only a domain whose ownership was verified (85005 otherwise). */
  redirectDomain?: string;
  reportLocationFlag?: boolean;
  isReportEnter?: boolean;
}

export const AGENT_LIMITS = { nameChars: 32, descriptionMinChars: 4, descriptionMaxChars: 120 } as const;

function refuse(field: string, problem: string, errcode?: number): never {
  throw new WeComRequestError('agent/set', field, problem, errcode);
}

/** The agent/set body for `settings`; a WeComRequestError for what WeCom would refuse. No I/O. */
export function prepareAgentSettings(agentId: number, settings: AgentSettings): Record<string, unknown> {
  if (typeof settings !== 'object' || settings === null) refuse('settings', 'must be an object such as { homeUrl }.');
  const json: Record<string, unknown> = { agentid: agentId };
  const { name, description, homeUrl, redirectDomain, reportLocationFlag, isReportEnter } = settings;
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim() === '' || [...name].length > AGENT_LIMITS.nameChars) {
      refuse('name', 'must be 1 to 32 characters.', 45022);
    }
    json['name'] = name;
  }
  if (description !== undefined) {
    const length = typeof description === 'string' ? [...description].length : -1;
    if (length < AGENT_LIMITS.descriptionMinChars || length > AGENT_LIMITS.descriptionMaxChars) {
      refuse('description', `must be 4 to 120 characters, got ${length < 0 ? typeof description : length}.`, 45004);
    }
    json['description'] = description;
  }
  if (homeUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = typeof homeUrl === 'string' ? new URL(homeUrl) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      refuse('homeUrl', `must be an absolute http(s) URL, got ${JSON.stringify(String(homeUrl).slice(0, 80))}.`, 40094);
    }
    json['home_url'] = homeUrl;
  }
  if (redirectDomain !== undefined) {
    if (typeof redirectDomain !== 'string' || !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(redirectDomain)) {
      refuse('redirectDomain', 'must be a host[:port] without scheme or path, e.g. "app.example.com".');
    }
    json['redirect_domain'] = redirectDomain;
  }
  if (reportLocationFlag !== undefined) json['report_location_flag'] = reportLocationFlag ? 1 : 0;
  if (isReportEnter !== undefined) json['isreportenter'] = isReportEnter ? 1 : 0;
  if (Object.keys(json).length === 1) refuse('settings', 'names nothing to change (homeUrl, name, description, redirectDomain...).');
  return json;
}

function ids(value: unknown, key: string): unknown[] {
  const inner = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return Array.isArray(inner) ? inner : [];
}

/** agent/get's answer in camelCase. */
export function readAgent(body: Record<string, unknown>): WeComAgent {
  const agentId = typeof body['agentid'] === 'number' ? body['agentid'] : Number(body['agentid']);
  if (!Number.isSafeInteger(agentId)) throw new WeComHttpError('agent/get', 'unexpected-body', 'the answer has no agentid');
  const str = (name: string): string => (typeof body[name] === 'string' ? body[name] : '');
  return {
    agentId,
    name: str('name'),
    description: str('description'),
    squareLogoUrl: str('square_logo_url'),
    allowUserIds: ids(body['allow_userinfos'], 'user')
      .map((u) => (typeof u === 'object' && u !== null ? (u as Record<string, unknown>)['userid'] : undefined))
      .filter((u): u is string => typeof u === 'string'),
    allowPartyIds: ids(body['allow_partys'], 'partyid').map(Number).filter(Number.isSafeInteger),
    allowTagIds: ids(body['allow_tags'], 'tagid').map(Number).filter(Number.isSafeInteger),
    closed: body['close'] === 1,
    redirectDomain: str('redirect_domain'),
    homeUrl: str('home_url'),
    reportLocationFlag: body['report_location_flag'] === 1,
    isReportEnter: body['isreportenter'] === 1,
  };
}

/** GET agent/get?agentid=N: this app's settings. */
export async function getAgent(call: ApiCall, agentId: number | undefined): Promise<WeComAgent> {
  const agent = requireAgentId('getAgent', agentId);
  return readAgent(await call('agent/get', { method: 'GET', query: { agentid: String(agent) }, idempotent: true }));
}

/** POST agent/set: changes the named settings of this app (a self-built app). */
export async function setAgent(call: ApiCall, agentId: number | undefined, settings: AgentSettings): Promise<void> {
  const json = prepareAgentSettings(requireAgentId('setAgent', agentId), settings);
  await call('agent/set', { method: 'POST', json, idempotent: true });
}
