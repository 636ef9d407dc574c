/**
 * `express-wecom-auth/metrics`: Prometheus metrics built on the library's diagnostics channels
 * (src/diagnostics.ts), with prom-client (an optional peer dependency: install it to use this).
 *
 * ```ts
 * import { createMetrics } from 'express-wecom-auth/metrics';
 * const metrics = createMetrics();               // prom-client's default registry
 * app.get('/metrics', metrics.handler);
 * ```
 *
 * Nothing here touches a request: the metrics are updated by the events, so an app without this
 * module pays nothing, and one with it pays a counter increment per event (docs/operations.md).
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import client from 'prom-client';
import type { Registry } from 'prom-client';
import { channels } from './diagnostics.ts';
import type {
  CallbackDeliveryEvent,
  CredentialEvent,
  LoginFailedEvent,
  LoginStartedEvent,
  LoginSucceededEvent,
  SessionsEndedEvent,
  WeComCallEvent,
} from './diagnostics.ts';

export interface MetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global registry. */
  registry?: Registry;
  /** Prepended to every metric name. Default `wecom_auth_`. */
  prefix?: string;
  /** Histogram buckets, in seconds. */
  buckets?: { wecomCall?: number[]; callback?: number[]; login?: number[] };
}

export interface WeComAuthMetrics {
  readonly registry: Registry;
  /** `GET /metrics` for Express or node:http: the registry in Prometheus' text format. */
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Stop listening to the events (the metrics stay registered). */
  close(): void;
}

const DEFAULT_BUCKETS = {
  wecomCall: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  callback: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  login: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
};

export function createMetrics(options: MetricsOptions = {}): WeComAuthMetrics {
  const registry = options.registry ?? client.register;
  const p = options.prefix ?? 'wecom_auth_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(p))
    throw new TypeError(`createMetrics: prefix must be a Prometheus metric name prefix such as "wecom_auth_", got ${JSON.stringify(p)}`);
  const buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
  const registers = [registry];

  const started = new client.Counter({
    name: `${p}login_started_total`,
    help: 'Logins started (redirects to WeCom), by flow.',
    labelNames: ['flow'],
    registers,
  });
  const logins = new client.Counter({
    name: `${p}logins_total`,
    help: 'Finished logins by result (success, failure, duplicate: a second delivery of a callback that followed the first) and failure reason.',
    labelNames: ['result', 'reason'],
    registers,
  });
  const callback = new client.Histogram({
    name: `${p}callback_duration_seconds`,
    help: 'Time to answer a login route, by result.',
    labelNames: ['result'],
    buckets: buckets.callback,
    registers,
  });
  const login = new client.Histogram({
    name: `${p}login_duration_seconds`,
    help: 'From the redirect to WeCom to the logged-in answer (what the person waits).',
    labelNames: ['flow'],
    buckets: buckets.login,
    registers,
  });
  const calls = new client.Counter({
    name: `${p}wecom_calls_total`,
    help: "WeCom API exchanges by api and errcode (a transport failure's kind, e.g. timeout, when WeCom did not answer).",
    labelNames: ['api', 'errcode'],
    registers,
  });
  const callTime = new client.Histogram({
    name: `${p}wecom_call_duration_seconds`,
    help: 'Duration of WeCom API exchanges, by api.',
    labelNames: ['api'],
    buckets: buckets.wecomCall,
    registers,
  });
  const credentials = new client.Counter({
    name: `${p}credential_events_total`,
    help: 'access_token and JS-SDK ticket events: fetched from WeCom, invalidated (WeCom rejected it), cooldown (a failed fetch is not retried for a while).',
    labelNames: ['credential', 'action'],
    registers,
  });

  // Gauges read at scrape time from the last events of this process.
  const lastFetch = new Map<string, number>();
  const cooldownUntil = new Map<string, number>();
  new client.Gauge({
    name: `${p}credential_age_seconds`,
    help: 'Seconds since this process last fetched the credential from WeCom (absent until it has).',
    labelNames: ['credential'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const [credential, at] of lastFetch) this.set({ credential }, (now - at) / 1000);
    },
  });
  new client.Gauge({
    name: `${p}credential_cooldown_seconds`,
    help: 'Seconds left before a failed credential fetch may be retried (0 when none is cooling down).',
    labelNames: ['credential'],
    registers,
    collect() {
      this.reset();
      const now = Date.now();
      for (const [credential, until] of cooldownUntil) this.set({ credential }, Math.max(0, (until - now) / 1000));
    },
  });

  const deliveries = new client.Counter({
    name: `${p}callback_deliveries_total`,
    help: "WeCom's callbacks by outcome (handled, duplicate, refused with its reason, failed, late-failure…) and event name.",
    labelNames: ['outcome', 'event', 'reason'],
    registers,
  });
  const ended = new client.Counter({
    name: `${p}sessions_ended_total`,
    help: 'Sessions ended by offboarding (a member deleted, disabled or gone, or endSessionsOf()).',
    registers,
  });

  // prom-client hashes a label object on every call: the children of each label set are looked up
  // once and kept, so an event costs a Map lookup and an increment.
  const children = new Map<string, { inc(): void } | { observe(value: number): void }>();
  const child = <T>(metric: { labels(labels: Record<string, string>): T }, name: string, labels: Record<string, string>): T => {
    const key = `${name}\u0000${Object.values(labels).join('\u0000')}`;
    let found = children.get(key) as T | undefined;
    if (found === undefined) {
      found = metric.labels(labels);
      children.set(key, found as { inc(): void });
    }
    return found;
  };

  const listeners: Array<[string, (message: unknown) => void]> = [
    [channels.loginStarted, (m) => child(started, 's', { flow: (m as LoginStartedEvent).flow }).inc()],
    [
      channels.loginSucceeded,
      (m) => {
        const e = m as LoginSucceededEvent;
        const result = e.duplicate ? 'duplicate' : 'success';
        child(logins, 'l', { result, reason: '' }).inc();
        child(callback, 'c', { result }).observe(e.callbackMs / 1000);
        if (!e.duplicate) child(login, 'd', { flow: e.flow }).observe(e.loginMs / 1000);
      },
    ],
    [
      channels.loginFailed,
      (m) => {
        const e = m as LoginFailedEvent;
        child(logins, 'l', { result: 'failure', reason: e.reason }).inc();
        child(callback, 'c', { result: 'failure' }).observe(e.durationMs / 1000);
      },
    ],
    [
      channels.wecomCall,
      (m) => {
        const e = m as WeComCallEvent;
        child(calls, 'w', { api: e.api, errcode: e.errcode === undefined ? (e.failure ?? 'unknown') : String(e.errcode) }).inc();
        child(callTime, 't', { api: e.api }).observe(e.durationMs / 1000);
      },
    ],
    [
      channels.credential,
      (m) => {
        const e = m as CredentialEvent;
        child(credentials, 'e', { credential: e.credential, action: e.action }).inc();
        if (e.action === 'fetched') {
          lastFetch.set(e.credential, e.at);
          cooldownUntil.delete(e.credential);
        }
        if (e.action === 'cooldown' && e.cooldownMs !== undefined) cooldownUntil.set(e.credential, e.at + e.cooldownMs);
      },
    ],
    [
      channels.callbackDelivery,
      (m) => {
        const e = m as CallbackDeliveryEvent;
        child(deliveries, 'b', { outcome: e.outcome, event: e.event ?? '', reason: e.reason ?? '' }).inc();
      },
    ],
    [channels.sessionsEnded, (m) => ended.inc((m as SessionsEndedEvent).sessions)],
  ];
  for (const [name, listener] of listeners) diagnostics_channel.subscribe(name, listener);

  return {
    registry,
    handler(_req, res) {
      registry.metrics().then(
        (text) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', registry.contentType);
          res.setHeader('Cache-Control', 'no-store');
          res.end(text);
        },
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
    },
    close() {
      for (const [name, listener] of listeners) diagnostics_channel.unsubscribe(name, listener);
    },
  };
}
