// Everything the request handlers share: the live fixture, the clock and the stores.
import { randomBytes, createHash } from 'node:crypto';
import { MiniProgramCodes, OAuthCodes } from './codes.ts';
import { AccessTokens, RateWindow, Tickets, UserTickets } from './tokens.ts';
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
  /** 400 jsapi tickets per corp per hour (wecom-api.md §7, D-freq). */
  readonly jsapiTicketRate: RateWindow;
  /** 100 agent_config tickets per app per hour (wecom-api.md §7, D-freq). */
  readonly agentTicketRate: RateWindow;
  /** Salt for DeviceId: stable per member for one emulator run, different across runs. */
  readonly runSalt: string;
  /** Switches a test may flip while the emulator runs. */
  readonly settings: { repeatExpiresIn: RepeatExpiresIn };
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
  repeatExpiresIn: RepeatExpiresIn = 'full',
): EmulatorState {
  return {
    fixture,
    clock,
    strict,
    expiredTokenErrcode,
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

export function isVisible(app: FixtureApp, userId: string): boolean {
  return app.visibleUserIds.includes(userId);
}

/** Legacy getuserinfo's DeviceId: "random per install" (wecom-api.md §4); here stable per run. */
export function deviceIdFor(state: EmulatorState, corpId: string, who: string): string {
  return createHash('sha256').update(`${state.runSalt}/${corpId}/${who}`).digest('hex').slice(0, 32);
}
