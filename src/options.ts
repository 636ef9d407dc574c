/**
 * One way to check options, for every factory of the package (wecomAuth, WeComClient,
 * RedisTokenCache, createRedisSessionStore…): the same rules for the same option everywhere, and
 * every mistake reported at startup as a WeComOptionsError naming the factory, the option and the
 * fix, with "did you mean" for a misspelt name (the way helmet does).
 */

/** A bad option, thrown when the app starts. A TypeError, as a wrong argument is in JavaScript. */
export class WeComOptionsError extends TypeError {
  readonly code = 'WECOM_OPTIONS';
  /** The option, e.g. `agentId` or `miniProgram.sessionSecret`. */
  readonly option: string;
  constructor(where: string, option: string, message: string) {
    super(`${where}: option \`${option}\`: ${message}`);
    this.name = 'WeComOptionsError';
    this.option = option;
  }
}

/** The options object itself, or a WeComOptionsError showing what to pass. */
export function optionsObject(where: string, value: unknown, example: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WeComOptionsError(where, 'options', `pass an object such as ${example}.`);
  }
  return value as Record<string, unknown>;
}

/** Unknown keys are mistakes: refuse them, suggesting the nearest known name. */
export function rejectUnknown(
  where: string,
  options: object,
  known: readonly string[],
  prefix = '',
  synonyms: Record<string, string> = COMMON_SYNONYMS,
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const synonym = Object.hasOwn(synonyms, key) ? synonyms[key] : undefined;
    const guess =
      synonym !== undefined && known.includes(synonym)
        ? synonym
        : known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= Math.min(2, Math.floor(key.length / 3)));
    throw new WeComOptionsError(
      where,
      prefix + key,
      `is not an option${guess ? `; did you mean \`${prefix}${guess}\`?` : `; the options are ${known.map((k) => prefix + k).join(', ')}.`}`,
    );
  }
}

/** Names people reach for that mean one of ours. */
const COMMON_SYNONYMS: Record<string, string> = {
  origin: 'baseUrl',
  redirectUri: 'baseUrl',
  corpid: 'corpId',
  agentid: 'agentId',
  corpSecret: 'secret',
  corpsecret: 'secret',
};

/** A non-empty string (trimmed). */
export function requiredString(where: string, value: unknown, option: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new WeComOptionsError(where, option, `is required: ${what}.`);
  return value.trim();
}

/** A corporation ID (企业ID): letters, digits, `_` and `-`, such as `ww1234567890abcdef`. */
export const CORP_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function corpIdOption(where: string, value: unknown, option = 'corpId'): string {
  const corpId = requiredString(
    where,
    value,
    option,
    'the corporation ID (企业ID) from the admin console, 我的企业 → 企业信息, e.g. "ww1234567890abcdef"',
  );
  if (!CORP_ID.test(corpId))
    throw new WeComOptionsError(
      where,
      option,
      `"${corpId}" does not look like a corporation ID (letters and digits, e.g. "ww1234567890abcdef").`,
    );
  return corpId;
}

/** An AgentId: a positive whole number, given as a number or a string of digits (as read from the environment). */
export function agentIdOption(where: string, value: unknown, option = 'agentId'): number {
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
    throw new WeComOptionsError(
      where,
      option,
      "is required: the app's AgentId, a positive whole number such as 1000002 (应用管理 → the app).",
    );
  }
  return n;
}

/** An `appKey`: names one wecomAuth() instance's login in a shared session. */
export const APP_KEY = /^[A-Za-z0-9_-]{1,32}$/;

export function appKeyOption(where: string, value: unknown, option = 'appKey'): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !APP_KEY.test(value))
    throw new WeComOptionsError(where, option, 'must be 1-32 letters, digits, "_" or "-", e.g. "hr" or "finance".');
  return value;
}

export function numberOption(
  where: string,
  value: unknown,
  option: string,
  rule: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const { min, max } = rule;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (max !== undefined && value > max) ||
    (rule.integer === true && !Number.isInteger(value))
  ) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new WeComOptionsError(
      where,
      option,
      `must be ${rule.integer ? 'a whole number' : 'a number'} ${range}, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

export function booleanOption(where: string, value: unknown, option: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new WeComOptionsError(where, option, `must be true or false, got ${JSON.stringify(value)}.`);
  return value;
}

export function functionOption<T>(where: string, value: unknown, option: string, shape: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new WeComOptionsError(where, option, `must be a function ${shape}.`);
  return value as T;
}

/** A cookie name (RFC 6265 token), as express-session's `name`. */
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** express-session's secret(s): a string or a non-empty list; the first signs. */
export function secretsOption(where: string, value: unknown, option: string, what: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new WeComOptionsError(where, option, `is required: ${what}.`);
  }
  return Object.freeze([...(list as string[])]);
}

/**
 * A base URL of WeCom (or of the emulator): absolute, no query or fragment, and https unless the
 * host is a loopback address, so that a typo never sends the secret over plain http to the internet.
 */
export function wecomBaseUrlOption(where: string, value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new WeComOptionsError(
      where,
      option,
      `must be an absolute https URL without query or fragment, e.g. "https://qyapi.weixin.qq.com" (or the emulator's), got ${JSON.stringify(value)}.`,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new WeComOptionsError(
      where,
      option,
      `must use https (http:// is only for a WeCom emulator on this machine: localhost, 127.0.0.1, [::1]), got ${JSON.stringify(value)}.`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * A host this machine reaches over loopback whatever DNS says: `localhost` (pinned in
 * /etc/hosts), 127.0.0.0/8 and ::1. Names under `.localhost` are loopback to browsers (RFC 6761
 * §6.3) but not to every operating system's resolver, which may ask DNS for them: http:// to one
 * could carry the app secret off the machine, so they need https like any other host.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function editDistance(a: string, b: string): number {
  const dp: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] ?? 0;
      dp[j] = Math.min((dp[j] ?? 0) + 1, (dp[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] ?? 0;
}
