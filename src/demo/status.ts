/**
 * The demo's operations corner: the Prometheus metrics (from express-wecom-auth/metrics, served
 * at `GET /metrics` by app.ts) and `GET /status` (behind the guard), the last hour's logins by
 * result and WeCom's latency as a small chart drawn from the same metrics. A snapshot of the
 * counters is kept every minute; the chart shows the differences, the current minute included.
 */
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { createMetrics } from '../metrics.ts';
import type { WeComAuthMetrics } from '../metrics.ts';
import type { WeComAuth } from '../index.ts';
import { escapeHtml, isEnglish, sendPage } from './html.ts';

interface Snapshot {
  at: number;
  success: number;
  failure: number;
  calls: number;
  callSeconds: number;
}

const MINUTE = 60_000;
const KEPT = 60;

export interface LoginHistory {
  readonly metrics: WeComAuthMetrics;
  /** The kept snapshots and one taken now. */
  series(): Promise<Snapshot[]>;
}

export function createLoginHistory(): LoginHistory {
  const registry = new Registry();
  const metrics = createMetrics({ registry });
  const snapshots: Snapshot[] = [];
  const snapshot = async (): Promise<Snapshot> => {
    const shot: Snapshot = { at: Date.now(), success: 0, failure: 0, calls: 0, callSeconds: 0 };
    for (const metric of await registry.getMetricsAsJSON()) {
      for (const v of metric.values as Array<{ value: number; labels: Record<string, unknown>; metricName?: string }>) {
        if (metric.name === 'wecom_auth_logins_total' && v.labels['result'] === 'success') shot.success += v.value;
        if (metric.name === 'wecom_auth_logins_total' && v.labels['result'] === 'failure') shot.failure += v.value;
        // A histogram's count and sum come as series of their own, told apart by metricName.
        if (v.metricName === 'wecom_auth_wecom_call_duration_seconds_count') shot.calls += v.value;
        if (v.metricName === 'wecom_auth_wecom_call_duration_seconds_sum') shot.callSeconds += v.value;
      }
    }
    return shot;
  };
  void snapshot().then((s) => snapshots.push(s));
  const timer = setInterval(() => {
    void snapshot().then((s) => {
      snapshots.push(s);
      if (snapshots.length > KEPT + 1) snapshots.shift();
    });
  }, MINUTE);
  timer.unref();
  return { metrics, series: async () => [...snapshots, await snapshot()] };
}

export function mountStatus(app: Express, wecom: WeComAuth, history: LoginHistory): void {
  app.get('/status', wecom.requireUser(), async (req, res, next) => {
    try {
      const en = isEnglish(req);
      sendPage(wecom, req, res, {
        id: 'status',
        status: 200,
        heading: en ? 'Logins in the last hour' : '最近一小时的登录',
        message: en ? 'Per minute, from the Prometheus metrics at /metrics.' : '按分钟统计，数据来自 /metrics 的 Prometheus 指标。',
        body: chart(await history.series(), en),
        action: { href: '/', label: en ? 'Back' : '返回' },
      });
    } catch (err) {
      next(err);
    }
  });
}

/** Bars of successful and failed logins per minute, and WeCom's mean latency as a line. Plain SVG. */
export function chart(series: Snapshot[], en: boolean): string {
  const minutes: Array<{ success: number; failure: number; latencyMs: number | undefined }> = [];
  for (let i = 1; i < series.length; i++) {
    const [a, b] = [series[i - 1], series[i]];
    if (!a || !b) continue;
    const calls = b.calls - a.calls;
    minutes.push({
      success: b.success - a.success,
      failure: b.failure - a.failure,
      latencyMs: calls > 0 ? ((b.callSeconds - a.callSeconds) / calls) * 1000 : undefined,
    });
  }
  const W = 600;
  const H = 160;
  const slot = W / KEPT;
  const shown = minutes.slice(-KEPT);
  const maxLogins = Math.max(1, ...shown.map((m) => m.success + m.failure));
  const maxLatency = Math.max(1, ...shown.map((m) => m.latencyMs ?? 0));
  const x0 = W - shown.length * slot;
  const bars = shown
    .map((m, i) => {
      const x = x0 + i * slot;
      const hs = (m.success / maxLogins) * (H - 20);
      const hf = (m.failure / maxLogins) * (H - 20);
      return (
        `<rect x="${x.toFixed(1)}" y="${(H - hs).toFixed(1)}" width="${(slot - 1).toFixed(1)}" height="${hs.toFixed(1)}" fill="#2e7d32"><title>${m.success}</title></rect>` +
        `<rect x="${x.toFixed(1)}" y="${(H - hs - hf).toFixed(1)}" width="${(slot - 1).toFixed(1)}" height="${hf.toFixed(1)}" fill="#c62828"><title>${m.failure}</title></rect>`
      );
    })
    .join('');
  const points = shown
    .map((m, i) =>
      m.latencyMs === undefined
        ? undefined
        : `${(x0 + i * slot + slot / 2).toFixed(1)},${(H - (m.latencyMs / maxLatency) * (H - 20)).toFixed(1)}`,
    )
    .filter((p): p is string => p !== undefined);
  const totals = shown.reduce((t, m) => ({ success: t.success + m.success, failure: t.failure + m.failure }), { success: 0, failure: 0 });
  const label = en
    ? `${totals.success} successful, ${totals.failure} failed logins; WeCom mean latency peak ${maxLatency.toFixed(0)} ms`
    : `成功 ${totals.success} 次，失败 ${totals.failure} 次；企业微信接口平均耗时峰值 ${maxLatency.toFixed(0)} 毫秒`;
  return (
    `<figure class="status-chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(label)}">` +
    `<line x1="0" y1="${H}" x2="${W}" y2="${H}" stroke="#999"/>${bars}` +
    (points.length > 1 ? `<polyline points="${points.join(' ')}" fill="none" stroke="#1565c0" stroke-width="2"/>` : '') +
    `</svg><figcaption data-field="status">${escapeHtml(label)}</figcaption></figure>`
  );
}
