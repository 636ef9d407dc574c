// Everything the request handlers share: the live fixture, the clock and the stores.
import { randomBytes, createHash } from 'node:crypto';
import { createCallbackState } from './callback-state.ts';
import { MiniProgramCodes, OAuthCodes } from './codes.ts';
import { MessageStore } from './message-store.ts';
import { AccessTokens, RateWindow, Tickets, UserTickets } from './tokens.ts';
import type { CallbackState } from './callback-state.ts';
import type { Clock } from './clock.ts';
import type { EmulatorFixture, FixtureApp, FixtureCorp, FixtureMember, FixtureMiniProgram, FixtureNonMember } from './types.ts';

const HOUR_MS = 3600_000;

export interface EmulatorState {
  readonly fixture: EmulatorFixture;
  readonly clock: Clock;
  readonly strict: boolean;
  readonly expiredTokenErrcode: 42001 | 40014;
  readonly tokens: AccessTokens;
  readonly codes: OAuthCodes;
  readonly miniProgramCodes: MiniProgramCodes;
  readonly userTickets: UserTickets;
  readonly jsapiTickets: Tickets;
  readonly agentTickets: Tickets;
  /** 400 jsapi tickets per corp per hour (docs/wecom-api.md §7, D-freq). */
  readonly jsapiTicketRate: RateWindow;
  /** 100 agent_config tickets per app per hour (docs/wecom-api.md §7, D-freq). */
  readonly agentTicketRate: RateWindow;
  /** Salt for DeviceId: stable per member for one emulator run, different across runs. */
  readonly runSalt: string;
  /** What message/send accepted: the members' inboxes, per-member rates, duplicate checks. */
  readonly messages: MessageStore;
  readonly messageRateLimit: 'drop' | 'error';
  /** Switches a test may flip while the emulator runs. */
  readonly settings: { repeatExpiresIn: RepeatExpiresIn };
  /** Template cards and their response codes, deleted members (callback-state.ts). */
  readonly callbacks: CallbackState;
}

/**
 * What `expires_in` says when gettoken or a ticket API is called again while the value it returns
 * is still valid (WeCom returns the same value; which lifetime it reports is not documented):
 * 'full' = 7200 although the value still expires on its first schedule, 'remaining' = the
 * seconds it has left.
 */
export type RepeatExpiresIn = 'full' | 'remaining';

/** expires_in for a value that expires at `expiresAt`, issued with `fullMs`, under the current switch. */
export function expiresInSeconds(state: EmulatorState, expiresAt: number, fullMs: number): number {
  if (state.settings.repeatExpiresIn === 'full') return fullMs / 1000;
  return Math.max(1, Math.ceil((expiresAt - state.clock.now()) / 1000));
}

export function createState(
  fixture: EmulatorFixture,
  clock: Clock,
  strict: boolean,
  expiredTokenErrcode: 42001 | 40014,
  messageRateLimit: 'drop' | 'error' = 'drop',
  repeatExpiresIn: RepeatExpiresIn = 'full',
): EmulatorState {
  return {
    fixture,
    clock,
    strict,
    expiredTokenErrcode,
    messages: new MessageStore(),
    messageRateLimit,
    tokens: new AccessTokens(),
    codes: new OAuthCodes(),
    miniProgramCodes: new MiniProgramCodes(),
    userTickets: new UserTickets(),
    jsapiTickets: new Tickets(),
    agentTickets: new Tickets(),
    jsapiTicketRate: new RateWindow(400, HOUR_MS),
    agentTicketRate: new RateWindow(100, HOUR_MS),
    runSalt: randomBytes(16).toString('hex'),
    settings: { repeatExpiresIn },
    callbacks: createCallbackState(),
  };
}

export function findCorp(state: EmulatorState, corpId: string): FixtureCorp | undefined {
  return state.fixture.corps.find((c) => c.corpId === corpId);
}

export function findApp(corp: FixtureCorp, agentId: number): FixtureApp | undefined {
  return corp.apps.find((a) => a.agentId === agentId);
}

export function findMember(corp: FixtureCorp, userId: string): FixtureMember | undefined {
  return corp.members.find((m) => m.userId === userId);
}

export function findNonMember(corp: FixtureCorp, openId: string): FixtureNonMember | undefined {
  return corp.nonMembers.find((n) => n.openId === openId);
}

export function findMiniProgram(state: EmulatorState, appId: string): { corp: FixtureCorp; miniProgram: FixtureMiniProgram } | undefined {
  for (const corp of state.fixture.corps) {
    const miniProgram = corp.miniPrograms.find((m) => m.appId === appId);
    if (miniProgram) return { corp, miniProgram };
  }
  return undefined;
}

/**
 * The app's visible range (可见范围): members listed by userid, members of a listed department
 * or of one of its sub-departments, members holding a listed tag. user/get
 * (https://developer.work.weixin.qq.com/document/path/96255), getuserdetail and message/send honour it.
 */
export function isVisible(corp: FixtureCorp, app: FixtureApp, userId: string): boolean {
  if (app.visibleUserIds.includes(userId)) return true;
  const parties = app.visiblePartyIds ?? [];
  if (parties.length > 0) {
    const member = findMember(corp, userId);
    if (member?.department.some((d) => isPartyInRange(corp, parties, d))) return true;
  }
  const tags = app.visibleTagIds ?? [];
  return tags.length > 0 && (corp.tags ?? []).some((t) => tags.includes(t.tagId) && t.userIds.includes(userId));
}

/** A department is in a range that lists it or one of its ancestors. */
export function isPartyInRange(corp: FixtureCorp, rangePartyIds: readonly number[], partyId: number): boolean {
  const parents = new Map((corp.departments ?? []).map((d) => [d.id, d.parentId]));
  let current: number | undefined = partyId;
  // The tree comes from a fixture: stop after as many steps as there are departments (a cycle).
  for (let steps = 0; current !== undefined && steps <= parents.size; steps++) {
    if (rangePartyIds.includes(current)) return true;
    current = parents.get(current);
  }
  return false;
}

/** A department exists when the tree lists it or a member belongs to it. */
export function partyExists(corp: FixtureCorp, partyId: number): boolean {
  return (corp.departments ?? []).some((d) => d.id === partyId) || corp.members.some((m) => m.department.includes(partyId));
}

/** The members of a department and of its sub-departments. */
export function membersOfParty(corp: FixtureCorp, partyId: number): FixtureMember[] {
  return corp.members.filter((m) => m.department.some((d) => isPartyInRange(corp, [partyId], d)));
}

/** Legacy getuserinfo's DeviceId: "random per install" (docs/wecom-api.md §4); here stable per run. */
export function deviceIdFor(state: EmulatorState, corpId: string, who: string): string {
  return createHash('sha256').update(`${state.runSalt}/${corpId}/${who}`).digest('hex').slice(0, 32);
}
