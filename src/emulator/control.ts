// /__emulator/... : the Emulator object's controls over HTTP, for tests and demos in another
// process (docs/internals.md, "Control over HTTP"). Every path maps onto a public method, so the
// in-process and HTTP controls cannot drift apart.
import { callbackControl } from './callback-control.ts';
import type { Emulator } from './types.ts';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

class ControlError extends Error {}

function asObject(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ControlError(`${what}: the body must be a JSON object`);
  return body as Record<string, unknown>;
}

function optNumber(o: Record<string, unknown>, key: string, what: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ControlError(`${what}: ${key} must be a number`);
  return v;
}

function optString(o: Record<string, unknown>, key: string, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ControlError(`${what}: ${key} must be a string`);
  return v;
}

function clock(emulator: Emulator, body: unknown): ControlAnswer {
  const o = asObject(body, 'POST /__emulator/clock');
  const advanceMs = optNumber(o, 'advanceMs', 'POST /__emulator/clock');
  const setMs = optNumber(o, 'setMs', 'POST /__emulator/clock');
  if (advanceMs !== undefined) emulator.clock.advance(advanceMs);
  else if (setMs !== undefined) emulator.clock.set(setMs);
  else if (o['reset'] === true) emulator.clock.reset();
  else throw new ControlError('POST /__emulator/clock: send {"advanceMs":n}, {"setMs":n} or {"reset":true}');
  return { status: 200, body: { now: emulator.clock.now() } };
}

function faults(emulator: Emulator, body: unknown): ControlAnswer {
  const what = 'POST /__emulator/faults';
  const o = asObject(body, what);
  if (o['reset'] === true) {
    emulator.faults.reset();
  } else if (o['failNext'] !== undefined) {
    const f = asObject(o['failNext'], `${what} failNext`);
    const errcode = optNumber(f, 'errcode', `${what} failNext`);
    if (errcode === undefined) throw new ControlError(`${what} failNext: errcode is required`);
    emulator.faults.failNext(errcode, optNumber(f, 'count', `${what} failNext`) ?? 1, optString(f, 'api', `${what} failNext`));
  } else if (o['delay'] !== undefined) {
    const f = asObject(o['delay'], `${what} delay`);
    const ms = optNumber(f, 'ms', `${what} delay`);
    if (ms === undefined) throw new ControlError(`${what} delay: ms is required`);
    emulator.faults.delay(ms, optString(f, 'api', `${what} delay`));
  } else if (o['html502'] !== undefined) {
    const f = asObject(o['html502'], `${what} html502`);
    emulator.faults.html502(optNumber(f, 'count', `${what} html502`) ?? 1, optString(f, 'api', `${what} html502`));
  } else {
    throw new ControlError(
      `${what}: send {"failNext":{errcode,count?,api?}}, {"delay":{ms,api?}}, {"html502":{count?,api?}} or {"reset":true}`,
    );
  }
  return { status: 200, body: { ok: true } };
}

function revoke(emulator: Emulator, body: unknown): ControlAnswer {
  const o = asObject(body, 'POST /__emulator/revoke-tokens');
  const filter: { corpId?: string; agentId?: number } = {};
  const corpId = optString(o, 'corpId', 'POST /__emulator/revoke-tokens');
  const agentId = optNumber(o, 'agentId', 'POST /__emulator/revoke-tokens');
  if (corpId !== undefined) filter.corpId = corpId;
  if (agentId !== undefined) filter.agentId = agentId;
  emulator.revokeTokens(filter);
  return { status: 200, body: { ok: true } };
}

function repeatExpiresIn(emulator: Emulator, body: unknown): ControlAnswer {
  const what = 'POST /__emulator/repeat-expires-in';
  const mode = optString(asObject(body, what), 'mode', what);
  if (mode !== 'full' && mode !== 'remaining')
    throw new ControlError(`${what}: send {"mode":"full"} (7200 on every fetch) or {"mode":"remaining"} (the seconds left)`);
  emulator.repeatExpiresIn = mode;
  return { status: 200, body: { mode } };
}

function miniProgramCode(emulator: Emulator, body: unknown): ControlAnswer {
  const what = 'POST /__emulator/miniprogram/code';
  const o = asObject(body, what);
  const userId = optString(o, 'userId', what);
  if (userId === undefined) throw new ControlError(`${what}: userId is required`);
  const input: { userId: string; corpId?: string; appId?: string } = { userId };
  const corpId = optString(o, 'corpId', what);
  const appId = optString(o, 'appId', what);
  if (corpId !== undefined) input.corpId = corpId;
  if (appId !== undefined) input.appId = appId;
  return { status: 200, body: { code: emulator.issueMiniProgramCode(input) } };
}

/** `body` is the parsed JSON body (undefined when empty). Method HEAD is answered like GET. */
export function handleControl(emulator: Emulator, method: string, path: string, body: unknown): ControlAnswer | Promise<ControlAnswer> {
  const m = method === 'HEAD' ? 'GET' : method;
  const route = `${m} ${path}`;
  try {
    switch (route) {
      case 'GET /__emulator/calls':
        return { status: 200, body: { calls: emulator.calls } };
      case 'DELETE /__emulator/calls':
        emulator.clearCalls();
        return { status: 200, body: { ok: true } };
      case 'GET /__emulator/clock':
        return { status: 200, body: { now: emulator.clock.now() } };
      case 'POST /__emulator/clock':
        return clock(emulator, body);
      case 'POST /__emulator/faults':
        return faults(emulator, body);
      case 'POST /__emulator/revoke-tokens':
        return revoke(emulator, body);
      case 'GET /__emulator/messages':
        return { status: 200, body: { messages: emulator.messages } };
      case 'GET /__emulator/repeat-expires-in':
        return { status: 200, body: { mode: emulator.repeatExpiresIn } };
      case 'POST /__emulator/repeat-expires-in':
        return repeatExpiresIn(emulator, body);
      case 'GET /__emulator/fixture':
        return { status: 200, body: emulator.fixture };
      case 'POST /__emulator/miniprogram/code':
        return miniProgramCode(emulator, body);
      default:
        return callbackControl(emulator, route, body) ?? { status: 404, body: { error: `no control path ${route}` } };
    }
  } catch (err) {
    // Bad input from the caller (ControlError, or a RangeError/Error from the Emulator methods).
    return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
  }
}
