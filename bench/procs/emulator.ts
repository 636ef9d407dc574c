/**
 * The WeCom emulator in its own process, serving HTTPS on a free port with the bench certificate
 * (or plain HTTP with BENCH_PLAIN=1).
 * Its corporation has 50 members in the app's visible range (bench/lib/employees.ts).
 * Controlled by the orchestrator over IPC: trust an app's host, set the per-call delay, read and
 * clear the call log.
 */
import { startEmulator } from '../../src/emulator/index.ts';
import { WECOM_HOSTS } from '../lib/cert.ts';
import { benchFixture } from '../lib/employees.ts';

const key = process.env['BENCH_TLS_KEY'];
const cert = process.env['BENCH_TLS_CERT'];
// BENCH_PLAIN=1: plain HTTP (the experiment on what TLS costs, bench/NOTES.md).
const plain = process.env['BENCH_PLAIN'] === '1';
if (!plain && (!key || !cert)) throw new Error('emulator proc: BENCH_TLS_KEY and BENCH_TLS_CERT are required (or BENCH_PLAIN=1)');

// The apps and the driver reach it under WeCom's own names (bench/preload/dns-to-emulator.mjs):
// names the emulator answers only when told (docs/emulator.md, "Who can reach it").
const emulator = await startEmulator({
  port: 0,
  host: '127.0.0.1',
  ...(plain || !key || !cert ? {} : { tls: { key, cert } }),
  fixture: benchFixture(),
  allowedHosts: WECOM_HOSTS,
});

interface Msg {
  id: number;
  type: string;
  host?: string;
  ms?: number;
}

function answer(id: number, body: unknown): void {
  process.send?.({ id, body });
}

process.on('message', (raw: unknown) => {
  const msg = raw as Msg;
  switch (msg.type) {
    case 'trust': {
      for (const corp of emulator.fixture.corps) {
        for (const app of corp.apps) if (msg.host && !app.trustedDomains.includes(msg.host)) app.trustedDomains.push(msg.host);
      }
      answer(msg.id, { ok: true });
      return;
    }
    case 'delay':
      emulator.faults.delay(msg.ms ?? 0);
      answer(msg.id, { ok: true });
      return;
    case 'calls': {
      // Counts from the emulator's counters (exact however long the run); errors from its bounded log.
      const byApi: Record<string, number> = {};
      let errors = 0;
      for (const call of emulator.calls) if (call.errcode !== 0) errors += 1;
      for (const api of ['gettoken', 'user/getuserinfo', 'auth/getuserinfo', 'user/get']) byApi[api] = emulator.callCount(api);
      answer(msg.id, { byApi, errors, total: emulator.callCount() });
      return;
    }
    case 'clear':
      emulator.clearCalls();
      answer(msg.id, { ok: true });
      return;
    case 'rss':
      answer(msg.id, { rss: process.memoryUsage().rss });
      return;
    default:
      answer(msg.id, { error: `unknown message ${msg.type}` });
  }
});
process.on('disconnect', () => {
  void emulator.close().then(() => process.exit(0));
});
process.send?.({ id: 0, body: { port: Number(new URL(emulator.url).port) } });
