// startEmulator(): builds the state, listens, and returns the Emulator object of docs/internals.md.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Callbacks } from './callbacks.ts';
import { callbackOptions, checkWindow } from './callback-options.ts';
import { Clock } from './clock.ts';
import { Faults } from './faults.ts';
import { defaultFixture, parseFixture } from './fixture.ts';
import { HostCheck, parseAllowedHosts } from './hosts.ts';
import { createRequestListener } from './server.ts';
import { createState, findCorp, findMember, findMiniProgram } from './state.ts';
import type { RepeatExpiresIn } from './state.ts';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Emulator, EmulatorOptions, RecordedCall } from './types.ts';

/** The call log keeps the newest entries only, so a long-running CLI does not grow forever. */
export const MAX_RECORDED_CALLS = 10_000;

function urlHost(host: string): string {
  // A wildcard address is not something a client can connect to; loopback is.
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function checkRepeatExpiresIn(mode: unknown): RepeatExpiresIn {
  if (mode !== 'full' && mode !== 'remaining')
    throw new RangeError(`repeatExpiresIn must be 'full' or 'remaining', got ${JSON.stringify(mode)}`);
  return mode;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`startEmulator: port must be an integer 0-65535, got ${String(port)}`);
  const host = options.host ?? '127.0.0.1';
  const hosts = new HostCheck(parseAllowedHosts(options.allowedHosts));
  const fixture = parseFixture(options.fixture ?? defaultFixture());
  const clock = new Clock();
  const faults = new Faults();
  const messageRateLimit = options.messageRateLimit ?? 'drop';
  if (messageRateLimit !== 'drop' && messageRateLimit !== 'error')
    throw new RangeError("startEmulator: messageRateLimit must be 'drop' or 'error'");
  const state = createState(
    fixture,
    clock,
    options.strict ?? false,
    options.expiredTokenErrcode ?? 42001,
    messageRateLimit,
    checkRepeatExpiresIn(options.repeatExpiresIn ?? 'full'),
  );
  state.callbacks.cards.windowMs = checkWindow(options.cardUpdateWindowMs ?? state.callbacks.cards.windowMs);
  const callbacks = new Callbacks(state, callbackOptions(options));
  const calls: RecordedCall[] = [];
  // Counts per api since the last clearCalls(), kept apart from the (bounded) log of the calls
  // themselves, so that counting stays right and cheap in long runs (benchmarks).
  const counts = new Map<string, number>();
  let total = 0;
  const sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let url = '';
  let closing: Promise<void> | undefined;

  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }) : createHttpServer();

  const emulator: Emulator = {
    get url() {
      return url;
    },
    fixture,
    clock,
    faults,
    get calls() {
      return calls;
    },
    callCount(api?: string): number {
      return api === undefined ? total : (counts.get(api) ?? 0);
    },
    clearCalls(): void {
      calls.length = 0;
      counts.clear();
      total = 0;
    },
    get messages() {
      return state.messages.list;
    },
    inbox(userId: string, filter: { corpId?: string; agentId?: number } = {}) {
      return state.messages.inbox(userId, filter);
    },
    revokeTokens(filter?: { corpId?: string; agentId?: number }): void {
      state.tokens.revoke(filter);
    },
    get repeatExpiresIn() {
      return state.settings.repeatExpiresIn;
    },
    set repeatExpiresIn(mode: RepeatExpiresIn) {
      state.settings.repeatExpiresIn = checkRepeatExpiresIn(mode);
    },
    issueMiniProgramCode(input: { userId: string; corpId?: string; appId?: string }): string {
      const corp = input.corpId === undefined ? fixture.corps[0] : findCorp(state, input.corpId);
      if (!corp) throw new Error(`issueMiniProgramCode: unknown corpId ${JSON.stringify(input.corpId)}`);
      if (!findMember(corp, input.userId))
        throw new Error(`issueMiniProgramCode: ${JSON.stringify(input.userId)} is not a member of ${corp.corpId}`);
      const appId = input.appId ?? corp.miniPrograms[0]?.appId;
      if (appId === undefined) throw new Error(`issueMiniProgramCode: ${corp.corpId} has no mini program; pass appId`);
      if (!findMiniProgram(state, appId)) throw new Error(`issueMiniProgramCode: unknown mini program appId ${JSON.stringify(appId)}`);
      return state.miniProgramCodes.issue({ corpId: corp.corpId, userId: input.userId, appId, issuedAt: clock.now() });
    },
    setCallback: (input) => callbacks.set(input),
    clearCallback: (input) => callbacks.clear(input),
    get callbacks() {
      return callbacks.deliveries.list;
    },
    clearCallbacks: () => callbacks.deliveries.clear(),
    callbacksSettled: () => callbacks.deliveries.settled(),
    changeContact: (change) => callbacks.changeContact(change),
    get cardUpdateWindowMs() {
      return state.callbacks.cards.windowMs;
    },
    set cardUpdateWindowMs(ms: number) {
      state.callbacks.cards.windowMs = checkWindow(ms);
    },
    close(): Promise<void> {
      callbacks.close();
      closing ??= new Promise<void>((resolve) => {
        for (const s of sleepers) {
          clearTimeout(s.timer);
          s.resolve();
        }
        sleepers.clear();
        server.close(() => resolve());
        // Keep-alive sockets (fetch keeps them) would hold close() open for seconds otherwise.
        server.closeAllConnections();
      });
      return closing;
    },
  };

  server.on(
    'request',
    createRequestListener({
      state,
      faults,
      emulator,
      callbacks,
      hosts,
      record(call) {
        calls.push(call);
        counts.set(call.api, (counts.get(call.api) ?? 0) + 1);
        total++;
        // Trim in batches: one splice per thousand calls instead of one per call.
        if (calls.length > MAX_RECORDED_CALLS + 1000) calls.splice(0, calls.length - MAX_RECORDED_CALLS);
      },
      sleep(ms) {
        if (ms <= 0 || closing) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const sleeper = {
            timer: setTimeout(() => {
              sleepers.delete(sleeper);
              resolve();
            }, ms),
            resolve,
          };
          sleepers.add(sleeper);
        });
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  url = `${options.tls ? 'https' : 'http'}://${urlHost(host)}:${address.port}`;
  return emulator;
}
