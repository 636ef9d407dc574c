/**
 * The local WeCom that `npm start` runs beside the demo (unless WECOM_EMULATOR=0): the default
 * fixture, made to accept this demo as it is configured, so that any PUBLIC_URL or WECOM_SECRET
 * the demo is given also works against it.
 */
import { defaultFixture, startEmulator } from '../emulator/index.ts';
import type { Emulator } from '../emulator/index.ts';
import type { DemoSettings } from './settings.ts';

export async function startBundledEmulator(settings: DemoSettings, port: number): Promise<Emulator> {
  const fixture = defaultFixture();
  // The default fixture trusts localhost:3000; trust whatever host this demo really answers on.
  const host = new URL(settings.publicUrl).host;
  for (const corp of fixture.corps) {
    for (const app of corp.apps) {
      if (!app.trustedDomains.includes(host)) app.trustedDomains.push(host);
      if (settings.secret !== undefined && corp.corpId === settings.corpId && String(app.agentId) === settings.agentId) {
        app.secret = settings.secret;
      }
    }
  }
  return startEmulator({ port, host: '127.0.0.1', fixture });
}
