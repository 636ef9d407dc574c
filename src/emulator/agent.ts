// The app's own settings: agent/get (https://developer.work.weixin.qq.com/document/path/90227) and
// agent/set (https://developer.work.weixin.qq.com/document/path/90228). A corp token reads and
// writes its own app only; errcodes from https://developer.work.weixin.qq.com/document/path/90313.
import { fail, jsonBody, ok, ownAgent, param } from './handler.ts';
import type { Handler } from './handler.ts';
import { isVisible } from './state.ts';
import type { FixtureApp, FixtureCorp } from './types.ts';

/** agent/set limits (90228): name at most 32 characters, description 4-120 characters. */
export const AGENT_LIMITS = { nameChars: 32, descriptionMinChars: 4, descriptionMaxChars: 120 } as const;

function chars(value: string): number {
  return [...value].length;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

// GET agent/get?agentid=N. allow_* is the configured range: departments and tags not expanded.
export const agentGet: Handler = (_state, req, caller) => {
  const refused = ownAgent(param(req, 'agentid'), caller);
  if (refused) return refused;
  const { app, corp } = caller;
  return ok({
    agentid: app.agentId,
    name: app.name,
    square_logo_url: '',
    description: app.description ?? '',
    allow_userinfos: { user: corp.members.filter((m) => app.visibleUserIds.includes(m.userId)).map((m) => ({ userid: m.userId })) },
    allow_partys: { partyid: [...(app.visiblePartyIds ?? [])] },
    allow_tags: { tagid: [...(app.visibleTagIds ?? [])] },
    close: app.enabled ? 0 : 1,
    redirect_domain: app.trustedDomains[0] ?? '',
    report_location_flag: 0,
    isreportenter: 0,
    home_url: app.homeUrl ?? '',
  });
};

// POST agent/set {agentid, name?, description?, redirect_domain?, home_url?, ...}: all fields are
// checked before any is applied, so a refused call changes nothing.
export const agentSet: Handler = (_state, req, caller) => {
  const read = jsonBody(req);
  if ('refused' in read) return read.refused;
  const body = read.body;
  const refused = ownAgent(body['agentid'], caller);
  if (refused) return refused;
  const { name, description, home_url: homeUrl, redirect_domain: redirectDomain } = body;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || chars(name) > AGENT_LIMITS.nameChars)) return fail(45022);
  if (
    description !== undefined &&
    (typeof description !== 'string' ||
      chars(description) < AGENT_LIMITS.descriptionMinChars ||
      chars(description) > AGENT_LIMITS.descriptionMaxChars)
  ) {
    return fail(45004);
  }
  if (homeUrl !== undefined && !isHttpUrl(homeUrl)) return fail(40094);
  // Since 2022 a 可信域名 must be proven first (the WW_verify file): only an already trusted,
  // i.e. verified, domain is accepted here.
  if (redirectDomain !== undefined && (typeof redirectDomain !== 'string' || !caller.app.trustedDomains.includes(redirectDomain))) {
    return fail(85005);
  }
  if (typeof name === 'string') caller.app.name = name;
  if (typeof description === 'string') caller.app.description = description;
  if (typeof homeUrl === 'string') caller.app.homeUrl = homeUrl;
  return ok({});
};

/** The apps whose workbench entry a member sees: enabled, and the member in their visible range. */
export function workbenchApps(corp: FixtureCorp, userId: string): FixtureApp[] {
  return corp.apps.filter((app) => app.enabled && isVisible(corp, app, userId));
}
