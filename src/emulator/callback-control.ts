// /__emulator/callback, /__emulator/callbacks and /__emulator/contact: the callback controls of
// the Emulator object over HTTP, for tests and demos in another process (docs/internals.md,
// "Control over HTTP"). Each route calls a public method, like control.ts.
import { CallbackSettingsError } from './callback-settings.ts';
import { ContactChangeError } from './contact-changes.ts';
import type { ControlAnswer } from './control.ts';
import type { CallbackSettingsInput, ContactChange } from './callback-types.ts';
import type { Emulator } from './types.ts';

function object(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The apps' settings without their Token and EncodingAESKey (GET /__emulator/fixture has those). */
function settingsList(emulator: Emulator): ControlAnswer {
  const apps = emulator.fixture.corps.flatMap((corp) =>
    corp.apps.map((app) => ({
      corpId: corp.corpId,
      agentId: app.agentId,
      callback: app.callback ? { url: app.callback.url, format: app.callback.format ?? 'xml' } : null,
    })),
  );
  return { status: 200, body: { apps } };
}

async function setSettings(emulator: Emulator, body: unknown): Promise<ControlAnswer> {
  try {
    await emulator.setCallback(object(body) as unknown as CallbackSettingsInput);
    return { status: 200, body: { ok: true } };
  } catch (err) {
    if (err instanceof CallbackSettingsError) {
      return { status: 400, body: { error: err.message, wecomMessage: err.wecomMessage, detail: err.detail } };
    }
    return { status: 400, body: { error: err instanceof Error ? err.message : String(err) } };
  }
}

function clearSettings(emulator: Emulator, body: unknown): ControlAnswer {
  const o = object(body);
  const input: { corpId?: string; agentId: number } = { agentId: o['agentId'] as number };
  if (typeof o['corpId'] === 'string') input.corpId = o['corpId'];
  emulator.clearCallback(input);
  return { status: 200, body: { ok: true } };
}

function contact(emulator: Emulator, body: unknown): ControlAnswer {
  try {
    return { status: 200, body: { deliveries: emulator.changeContact(object(body) as unknown as ContactChange) } };
  } catch (err) {
    if (err instanceof ContactChangeError || err instanceof RangeError) return { status: 400, body: { error: err.message } };
    throw err;
  }
}

/** The answer for a callback control route, or undefined when `route` is not one. */
export function callbackControl(emulator: Emulator, route: string, body: unknown): ControlAnswer | Promise<ControlAnswer> | undefined {
  switch (route) {
    case 'GET /__emulator/callback':
      return settingsList(emulator);
    case 'POST /__emulator/callback':
      return setSettings(emulator, body);
    case 'DELETE /__emulator/callback':
      return clearSettings(emulator, body);
    case 'GET /__emulator/callbacks':
      return { status: 200, body: { deliveries: emulator.callbacks } };
    case 'DELETE /__emulator/callbacks':
      emulator.clearCallbacks();
      return { status: 200, body: { ok: true } };
    case 'POST /__emulator/callbacks/settled':
      // Answers once no delivery has attempts left; the caller bounds its own wait.
      return emulator.callbacksSettled().then(() => ({ status: 200, body: { deliveries: emulator.callbacks } }));
    case 'POST /__emulator/contact':
      return contact(emulator, body);
    default:
      return undefined;
  }
}
