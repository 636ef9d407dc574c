/**
 * The demo's settings, all from the environment (docs/deployment.md lists them), read in one
 * place so that main.ts and the start-up check (start-check.ts) judge the same values. An empty
 * variable counts as unset.
 */
export const DEMO_CORP_ID = 'wwdemocorp0000001';
export const DEMO_AGENT_ID = '1000002';
/** The bundled emulator's app secret: public, in every copy of this repository. */
export const DEMO_SECRET = 'demo-secret';

export interface DemoSettings {
  port: number;
  /** The public origin (`PUBLIC_URL`, no trailing slash): the library's `baseUrl`. */
  publicUrl: string;
  /** The bundled emulator's port; undefined with `WECOM_EMULATOR=0`. */
  emulatorPort: number | undefined;
  corpId: string;
  agentId: string;
  /** `WECOM_SECRET` as given; the demo falls back to DEMO_SECRET. */
  secret: string | undefined;
  /** `WECOM_API_BASE_URL`, `WECOM_OAUTH_BASE_URL`, `WECOM_LOGIN_BASE_URL` as given. */
  baseUrls: { api: string | undefined; oauth: string | undefined; login: string | undefined };
  scope: 'snsapi_base' | 'snsapi_privateinfo';
  /** `SESSION_SECRET`; without it the demo makes a random one per start. */
  sessionSecret: string | undefined;
  /** `METRICS_TOKEN`: opens /metrics to `Authorization: Bearer <token>` (metrics-access.ts). */
  metricsToken: string | undefined;
  redisUrl: string | undefined;
  /** `TRUST_PROXY`: Express's `trust proxy` hop count. */
  trustProxy: number | undefined;
}

export function readSettings(env: NodeJS.ProcessEnv): DemoSettings {
  const value = (name: string): string | undefined => env[name] || undefined;
  const port = Number(value('PORT') ?? 3000);
  return {
    port,
    publicUrl: (value('PUBLIC_URL') ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    emulatorPort: env['WECOM_EMULATOR'] === '0' ? undefined : Number(value('EMULATOR_PORT') ?? 3001),
    corpId: value('WECOM_CORP_ID') ?? DEMO_CORP_ID,
    agentId: value('WECOM_AGENT_ID') ?? DEMO_AGENT_ID,
    secret: value('WECOM_SECRET'),
    baseUrls: { api: value('WECOM_API_BASE_URL'), oauth: value('WECOM_OAUTH_BASE_URL'), login: value('WECOM_LOGIN_BASE_URL') },
    scope: value('WECOM_SCOPE') === 'snsapi_privateinfo' ? 'snsapi_privateinfo' : 'snsapi_base',
    sessionSecret: value('SESSION_SECRET'),
    metricsToken: value('METRICS_TOKEN'),
    redisUrl: value('REDIS_URL'),
    trustProxy: value('TRUST_PROXY') === undefined ? undefined : Number(value('TRUST_PROXY')),
  };
}

/** localhost, *.localhost, 127.0.0.0/8 and [::1]: the hosts the library itself accepts over http. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
