/**
 * A steady stream of logins and guarded requests across a fleet of app processes while something
 * happens to Redis (a failover), and what it did to the users: how many requests were answered
 * 503 and for how long, whether anyone got in without a session, whether sessions written before
 * (or during) the switch survived it.
 *
 * Used by test/topology/*.test.ts; the figures it returns are what docs/redis.md reports.
 */
import assert from 'node:assert/strict';
import {
  CookieJar,
  isHomePage,
  nextHop,
  pick,
  startLink,
  publicPath,
  request,
  sleep,
  visitWeCom,
  walkLogin,
  type AppProcess,
  type Answer,
} from './fleet.ts';

const USERS = ['zhangsan', 'lisi'] as const;

export interface LoadOptions {
  apps: AppProcess[];
  emulatorUrl: string;
  /** The event: resolves once the topology has switched (e.g. the sentinels agree on a new master). */
  trigger: () => Promise<unknown>;
  /**
   * Who the masters are (e.g. their ports), read before the set-up and again just before the
   * event: a failover nobody asked for in between (a node starved of CPU for longer than the node
   * timeout) would lose writes the test then blames on the event, so it stops the test instead.
   */
  masters?: () => Promise<string>;
  /** Load before the event, ms. Default 1500. */
  warmupMs?: number;
  /** Load after the event until this long without a 503, ms. Default 2000. */
  quietMs?: number;
  /** Users already logged in when the load starts, each reading guarded pages in a loop. Default 8. */
  readers?: number;
  /** Concurrent login loops. Default 3. */
  loginLoops?: number;
}

export interface LoadReport {
  /** Every request the load sent, by HTTP status. */
  statuses: Record<string, number>;
  requests: number;
  /** Requests answered 503 (session store or Redis unavailable). */
  unavailable: number;
  /** From the first 503 to the last, ms (0 without any). */
  unavailableMs: number;
  /** From the event's start until the topology reported the switch done, ms. */
  switchMs: number;
  /** The slowest answer of the run, ms (requests held while the client waits for the new master). */
  slowestMs: number;
  /** Guarded requests answered 200 for someone other than the session's user, or nobody. */
  anonymousPasses: number;
  /** Guarded requests of a logged-in user answered with a login redirect or a 401. */
  askedToLogInAgain: number;
  /** Anything else: 500s, unexpected redirects. */
  otherErrors: string[];
  /**
   * Logins: completed, met a 503 (the user tries again), restarted once by the callback, sent
   * back to WeCom (`relogin`: a write lost in the switch; ms after the event began), failed otherwise.
   */
  logins: { completed: number; unavailable: number; restarted: number; relogin: number[]; failed: string[] };
  /** Sessions completed before the event, and how many of those no longer work after it. */
  sessionsBefore: number;
  sessionsLostBefore: number;
  /** Sessions completed after the event began (during the switch or after it), and how many were lost. */
  sessionsAfter: number;
  sessionsLostAfter: number;
}

interface Session {
  jar: CookieJar;
  user: string;
  completedAt: number;
}

/**
 * One login as a browser does it, tolerating 503s: the session, 'unavailable', 'relogin' (the
 * app sent the browser back to WeCom after a second restart, or the page after the login asked
 * for a login: what was written did not come back from the store), or a description of anything
 * else. When the callback restarts the login once (its transaction did not come back), the
 * browser follows: counted in `restarts`.
 */
async function tryLogin(
  apps: AppProcess[],
  i: number,
  emulatorUrl: string,
  user: string,
  send: (app: AppProcess, path: string, jar: CookieJar) => Promise<Answer>,
  restarts: { count: number },
): Promise<Session | 'unavailable' | 'relogin' | string> {
  const jar = new CookieJar();
  const path = `/?login=${i}`;
  const page0 = await send(pick(apps, i), path, jar);
  const link = startLink(page0);
  const start = link === undefined ? page0 : await send(pick(apps, i), link, jar);
  if (start.status === 503) return 'unavailable';
  if (start.status !== 302 || !start.location?.startsWith(`${emulatorUrl}/`)) return `start ${start.status} ${pageOf(start)}`;
  let back = await send(pick(apps, i + 1), publicPath(await visitWeCom(start.location, user)), jar);
  let target = path;
  if (back.status === 302 && back.location?.startsWith(`${emulatorUrl}/`)) {
    // The restarted login returns to the app's default page: the page asked for went with the lost transaction.
    restarts.count++;
    target = '/';
    back = await send(pick(apps, i + 3), publicPath(await visitWeCom(back.location, user)), jar);
  }
  if (back.status === 503) return 'unavailable';
  if (back.status === 302 && back.location?.startsWith(`${emulatorUrl}/`)) return 'relogin';
  const landed = nextHop(back);
  if (landed === undefined || (landed !== path && landed !== target)) return `callback ${back.status} ${landed ?? ''} ${pageOf(back)}`;
  const page = await send(pick(apps, i + 2), landed, jar);
  if (page.status === 503) return 'unavailable';
  // Not logged in after all (the session write was lost): the guard's start page, to log in again.
  if (startLink(page) !== undefined) return 'relogin';
  if (!isHomePage(page)) return `page ${page.status} ${page.location ?? ''} ${pageOf(page)}`;
  return { jar, user, completedAt: Date.now() };
}

type Verdict = 'ok' | 'unavailable' | 'anonymous' | 'login' | string;

/** What an error answer says, briefly: the page id and the administrator's details, or the JSON. */
function pageOf(res: Answer): string {
  const page = /data-page="([^"]+)"/.exec(res.body)?.[1];
  if (page === undefined) return res.body.slice(0, 160);
  const details = [...res.body.matchAll(/<(?:dt|dd)[^>]*>([^<]*)<\/(?:dt|dd)>/g)].map((m) => m[1]).join(' ');
  return `page ${page}${details ? ` (${details.slice(0, 200)})` : ''}`;
}

async function guarded(
  app: AppProcess,
  session: Session,
  json: boolean,
  send: (app: AppProcess, path: string, jar: CookieJar, json?: boolean) => Promise<Answer> = (a, p, j, asJson) =>
    request(a, p, j, asJson ? { accept: 'application/json' } : {}),
): Promise<{ res: Answer; verdict: Verdict }> {
  const res = await send(app, json ? '/me' : '/', session.jar, json);
  if (res.status === 503) return { res, verdict: 'unavailable' };
  // The guard's start page: nobody is logged in, the browser goes to log in.
  if (!json && startLink(res) !== undefined) return { res, verdict: 'login' };
  if (res.status === 200) {
    if (json) {
      const body = JSON.parse(res.body) as { user?: { userId?: string } };
      return { res, verdict: body.user?.userId === session.user ? 'ok' : 'anonymous' };
    }
    return { res, verdict: isHomePage(res) && res.body.includes(`>${session.user}<`) ? 'ok' : 'anonymous' };
  }
  if (res.status === 401 || (res.status === 302 && !json)) return { res, verdict: 'login' };
  return { res, verdict: `${json ? '/me' : '/'} ${res.status} ${pageOf(res)}` };
}

/** After the event: does the session still work? Retries a 503 for a while (the store may still be settling). */
async function stillLoggedIn(apps: AppProcess[], session: Session, i: number): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const { verdict } = await guarded(pick(apps, i + attempt), session, true);
    if (verdict === 'ok') return true;
    if (verdict !== 'unavailable') return false;
    await sleep(250);
  }
  return false;
}

export async function failoverUnderLoad(options: LoadOptions): Promise<LoadReport> {
  const { apps, emulatorUrl, trigger } = options;
  // Read a few times: on the starved machine this check is for, one slow connect is not an answer.
  // Undefined when it cannot be read: the check is then skipped rather than failing on its own.
  const readMasters = async (): Promise<string | undefined> => {
    if (options.masters === undefined) return undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        return await options.masters();
      } catch {
        await sleep(250);
      }
    }
    return undefined;
  };
  const mastersAtStart = await readMasters();
  const warmupMs = options.warmupMs ?? 1500;
  const quietMs = options.quietMs ?? 2000;
  const statuses: Record<string, number> = {};
  const unavailableAt: number[] = [];
  const otherErrors: string[] = [];
  let requests = 0;
  let anonymousPasses = 0;
  let askedToLogInAgain = 0;
  let slowestMs = 0;
  const send = async (app: AppProcess, path: string, jar: CookieJar, json = false): Promise<Answer> => {
    const started = Date.now();
    const res = await request(app, path, jar, json ? { accept: 'application/json' } : {});
    slowestMs = Math.max(slowestMs, Date.now() - started);
    requests++;
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status === 503) unavailableAt.push(Date.now());
    return res;
  };

  // Users logged in before anything happens: each on its own instances.
  const sessions: Session[] = [];
  for (let i = 0; i < (options.readers ?? 8); i++) {
    const user = pick(USERS, i);
    let jar: CookieJar;
    try {
      jar = await walkLogin({ start: pick(apps, i), callback: pick(apps, i + 1), final: pick(apps, i + 2), user, emulatorUrl });
    } catch (err) {
      // The apps' own trace (DEBUG=express-wecom-auth:login,express-wecom-auth:redis) says which step went wrong.
      const tails = apps.map((app) => `--- app on ${app.port}:\n${app.output().split('\n').slice(-30).join('\n')}`);
      const masters = options.masters ? `; masters at the start ${mastersAtStart ?? '?'}, now ${(await readMasters()) ?? '?'}` : '';
      throw new Error(`login ${i} before the event: ${err instanceof Error ? err.message : String(err)}${masters}\n${tails.join('\n')}`, {
        cause: err,
      });
    }
    sessions.push({ jar, user, completedAt: Date.now() });
  }

  let running = true;
  let eventStart = Number.POSITIVE_INFINITY;
  const logins = { completed: 0, unavailable: 0, restarted: 0, relogin: [] as number[], failed: [] as string[] };
  const restarts = { count: 0 };
  const loops: Promise<void>[] = [];
  // Guarded requests: each reader in turn on every instance, pages and JSON.
  for (const [r, session] of [...sessions].entries()) {
    loops.push(
      (async () => {
        for (let n = r; running; n++) {
          const { verdict } = await guarded(pick(apps, n), session, n % 2 === 0, send);
          if (verdict === 'anonymous') anonymousPasses++;
          else if (verdict === 'login') askedToLogInAgain++;
          else if (verdict !== 'ok' && verdict !== 'unavailable') otherErrors.push(verdict);
          await sleep(15);
        }
      })(),
    );
  }
  // Logins: new sessions all along, before, during and after the event.
  for (let l = 0; l < (options.loginLoops ?? 3); l++) {
    loops.push(
      (async () => {
        for (let n = l * 1000; running; n++) {
          const outcome = await tryLogin(apps, n, emulatorUrl, pick(USERS, n), send, restarts);
          if (outcome === 'unavailable') logins.unavailable++;
          else if (outcome === 'relogin') logins.relogin.push(Date.now() - eventStart);
          else if (typeof outcome === 'string') logins.failed.push(outcome);
          else {
            logins.completed++;
            sessions.push(outcome);
          }
          await sleep(20);
        }
      })(),
    );
  }

  let switchMs: number;
  try {
    await sleep(warmupMs);
    const mastersNow = await readMasters();
    if (mastersAtStart !== undefined && mastersNow !== undefined && mastersNow !== mastersAtStart) {
      throw new Error(
        `the masters changed before the event (${mastersAtStart ?? '?'} -> ${mastersNow ?? '?'}): a failover nobody asked for, ` +
          'e.g. a Redis node starved of CPU for longer than the node timeout; the figures would blame its lost writes on the event',
      );
    }
    eventStart = Date.now();
    await trigger();
    switchMs = Date.now() - eventStart;
    // Keep the load on until no 503 for `quietMs` (at most 30 s more).
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const last = unavailableAt.at(-1) ?? eventStart;
      if (Date.now() - Math.max(last, eventStart + switchMs) >= quietMs) break;
      await sleep(100);
    }
  } finally {
    // Whatever ended the load (its end, a failed check, a trigger that threw), no loop outlives it.
    running = false;
    await Promise.allSettled(loops);
  }
  await Promise.all(loops);

  logins.restarted = restarts.count;
  const before = sessions.filter((s) => s.completedAt < eventStart);
  const later = sessions.filter((s) => s.completedAt >= eventStart);
  const check = async (list: Session[]) => (await Promise.all(list.map((s, i) => stillLoggedIn(apps, s, i)))).filter((ok) => !ok).length;
  const [sessionsLostBefore, sessionsLostAfter] = [await check(before), await check(later)];
  const first = unavailableAt[0];
  const last = unavailableAt.at(-1);
  return {
    statuses,
    requests,
    unavailable: unavailableAt.length,
    unavailableMs: first === undefined || last === undefined ? 0 : last - first,
    switchMs,
    slowestMs,
    anonymousPasses,
    askedToLogInAgain,
    otherErrors,
    logins,
    sessionsBefore: before.length,
    sessionsLostBefore,
    sessionsAfter: later.length,
    sessionsLostAfter,
  };
}

/** One line for the test output (and docs/redis.md). */
export function describeReport(label: string, report: LoadReport, gettoken: number): string {
  return (
    `# ${label}: ${report.requests} requests (${JSON.stringify(report.statuses)}), ${report.unavailable} answered 503 over ${report.unavailableMs} ms, slowest answer ${report.slowestMs} ms; ` +
    `switch ${report.switchMs} ms; anonymous passes ${report.anonymousPasses}; asked to log in again ${report.askedToLogInAgain}; ` +
    `logins ${report.logins.completed} completed, ${report.logins.unavailable} met a 503, ${report.logins.restarted} restarted by the callback, ${report.logins.relogin.length} sent back to log in${report.logins.relogin.length ? ` (${report.logins.relogin.join(', ')} ms after the event began)` : ''}, ${report.logins.failed.length} failed; ` +
    `sessions lost: ${report.sessionsLostBefore} of ${report.sessionsBefore} written before the event, ${report.sessionsLostAfter} of ${report.sessionsAfter} written after it began; gettoken calls so far ${gettoken}`
  );
}

/** The apps' trace of every login step and Redis outage (`DEBUG`), quoted when a set-up login goes wrong. */
export const LOGIN_TRACE = 'express-wecom-auth:login,express-wecom-auth:redis';

/**
 * What every failover under load must show, whatever the topology: nobody let in without a
 * session, no session written before an event lost, nobody logged out, logins going on (a login
 * sent back to WeCom only during the switch: writes acknowledged by the old master after a
 * promotion are lost, docs/redis.md), no app crashed, one gettoken for the whole run.
 */
export function assertFailoversSurvived(
  reports: readonly [string, LoadReport][],
  apps: readonly AppProcess[],
  gettokenCalls: number,
): void {
  for (const [label, report] of reports) {
    assert.equal(report.anonymousPasses, 0, `${label}: nobody gets in without a session`);
    assert.equal(report.sessionsLostBefore, 0, `${label}: sessions written before the switch survive it`);
    assert.ok(report.sessionsBefore >= 8, `${label}: ${report.sessionsBefore} sessions checked`);
    const logged = apps.flatMap((app) =>
      app
        .output()
        .split('\n')
        .filter((l) => l.includes('unexpected error')),
    );
    assert.deepEqual(report.otherErrors, [], `${label}: only 200s and 503s; the apps logged:\n${[...new Set(logged)].join('\n')}`);
    assert.equal(report.askedToLogInAgain, 0, `${label}: nobody logged out by the switch`);
    assert.ok(report.logins.completed > 0, `${label}: logins went on`);
    assert.deepEqual(report.logins.failed, [], `${label}: logins completed, met a 503, or were sent back to WeCom`);
    for (const at of report.logins.relogin)
      assert.ok(at >= 0 && at < report.switchMs + 5000, `${label}: a login sent back ${at} ms after the event`);
  }
  for (const app of apps) {
    assert.ok(app.alive(), `app on ${app.port} crashed:\n${app.output()}`);
    assert.doesNotMatch(app.output(), /unexpected error|Uncaught|unhandled/i, `app on ${app.port}`);
  }
  assert.equal(gettokenCalls, 1, 'one gettoken for the whole run');
}
