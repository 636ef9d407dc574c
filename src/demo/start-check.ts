/**
 * The demo is what people copy, so it refuses to run where its defaults would be a hole: against
 * a WeCom that is not on this machine, or on a public URL that is not this machine, while a
 * secret still has its default (a session secret nobody chose, the emulator's public app secret)
 * or a token is short enough to guess. One line says which variable to set and how to make a
 * good value; main.ts prints it and exits before it starts anything.
 *
 * A WeCom on this machine (the bundled emulator, or one started apart as the fleet tests do with
 * WECOM_EMULATOR=0 and loopback base URLs) is development: the library accepts plain http only
 * for loopback hosts, and a real WeCom is never there.
 */
import { DEMO_SECRET, isLoopbackUrl } from './settings.ts';
import type { DemoSettings } from './settings.ts';

/** WeCom's own hosts: what the library uses when no base URL is given. */
const WECOM_HOSTS = { api: 'https://qyapi.weixin.qq.com', oauth: 'https://open.weixin.qq.com', login: 'https://login.work.weixin.qq.com' };
const MIN_SECRET_LENGTH = 32;
const RANDOM = 'openssl rand -hex 32';

/** Why these settings are not a local development run, or undefined when they are. */
function notLocal(s: DemoSettings): string | undefined {
  if (!isLoopbackUrl(s.publicUrl)) return `PUBLIC_URL ${s.publicUrl} is not this machine`;
  for (const part of ['api', 'oauth', 'login'] as const) {
    const given = s.baseUrls[part];
    if (given !== undefined && !isLoopbackUrl(given)) return `WeCom is at ${given}, not on this machine`;
    if (given === undefined && s.emulatorPort === undefined) return `WECOM_EMULATOR=0 means the real WeCom (${WECOM_HOSTS[part]})`;
  }
  return undefined;
}

function randomValue(name: string, value: string | undefined, what: string): string | undefined {
  const fix = `set it to ${MIN_SECRET_LENGTH} or more random characters, e.g. ${name}=$(${RANDOM})`;
  if (value === undefined) return what === 'token' ? undefined : `${name} is not set: ${fix}`;
  return value.length < MIN_SECRET_LENGTH ? `${name} has ${value.length} characters: ${fix}` : undefined;
}

function secretProblems(s: DemoSettings): string[] {
  const problems = [
    randomValue('SESSION_SECRET', s.sessionSecret, 'secret'),
    s.secret === undefined || s.secret === DEMO_SECRET
      ? `WECOM_SECRET is ${s.secret === undefined ? 'not set' : `the emulator's public "${DEMO_SECRET}"`}: set it to your app's Secret (admin console: 应用管理 → the app → Secret)`
      : undefined,
    randomValue('METRICS_TOKEN', s.metricsToken, 'token'),
  ];
  return problems.filter((p): p is string => p !== undefined);
}

/** The one line to print instead of starting, or undefined when the demo may start. */
export function refusalToStart(s: DemoSettings): string | undefined {
  const where = notLocal(s);
  if (where === undefined) return undefined;
  const problems = secretProblems(s);
  return problems.length ? `demo: not starting: ${where}, and ${problems.join('; ')}.` : undefined;
}
