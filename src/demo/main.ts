/**
 * `npm start`: the local WeCom emulator on 3001 and the demo app on 3000.
 * Every setting comes from the environment (settings.ts; docs/deployment.md lists them). Against
 * a WeCom or on a public URL that is not this machine, default secrets stop it before it starts
 * anything (start-check.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Emulator } from '../emulator/index.ts';
import { createDemoApp } from './app.ts';
import { connectRedis } from './redis.ts';
import { DEMO_SECRET, readSettings } from './settings.ts';
import { refusalToStart } from './start-check.ts';
import { startBundledEmulator } from './bundled-emulator.ts';
import { setUpEntryPoints } from './entry-points.ts';

const settings = readSettings(process.env);
const refusal = refusalToStart(settings);
if (refusal !== undefined) {
  console.error(refusal);
  process.exit(2);
}

let emulator: Emulator | undefined;
if (settings.emulatorPort !== undefined) emulator = await startBundledEmulator(settings, settings.emulatorPort);
// Each WeCom address as given, else the bundled emulator's, else (WECOM_EMULATOR=0) WeCom's own.
const apiBaseUrl = settings.baseUrls.api ?? emulator?.url;
const oauthBaseUrl = settings.baseUrls.oauth ?? emulator?.url;
const loginBaseUrl = settings.baseUrls.login ?? emulator?.url;
const redis = settings.redisUrl ? connectRedis(settings.redisUrl) : undefined;

const sessionSecret = settings.sessionSecret ?? randomBytes(32).toString('hex');
if (!settings.sessionSecret) console.warn('SESSION_SECRET is not set: using a random one, so sessions end when the demo restarts.');

const { app, wecom, metrics } = createDemoApp({
  wecom: {
    corpId: settings.corpId,
    agentId: settings.agentId,
    secret: settings.secret ?? DEMO_SECRET,
    baseUrl: settings.publicUrl,
    // The silent login (snsapi_base: code + agentid -> UserId/DeviceId) unless WECOM_SCOPE asks
    // for the consent page (snsapi_privateinfo), which the demo then uses to show the merged profile.
    ...(settings.scope === 'snsapi_privateinfo'
      ? {
          scope: 'snsapi_privateinfo' as const,
          profile: { fields: ['name', 'department', 'position', 'avatar', 'gender', 'mobile', 'email'] },
        }
      : { scope: 'snsapi_base' as const }),
    miniProgram: { sessionSecret },
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
    ...(oauthBaseUrl ? { oauthBaseUrl } : {}),
    ...(loginBaseUrl ? { loginBaseUrl } : {}),
    ...(redis ? { tokenCache: redis.tokenCache } : {}),
    // Warnings and errors to the console; DEBUG=express-wecom-auth:* traces every login step.
    logger: { warn: console.warn, error: console.error },
  },
  sessionSecret,
  ...(redis ? { store: redis.store } : {}),
  ...(settings.trustProxy ? { trustProxy: settings.trustProxy } : {}),
  ...(settings.metricsToken ? { metricsToken: settings.metricsToken } : {}),
});

if (emulator) {
  // So that the emulator's WeCom (/client) shows a homepage and a menu to tap at once.
  await setUpEntryPoints(wecom, settings.publicUrl).catch((err: unknown) => {
    console.warn(`demo: could not set the homepage and menu on the emulator: ${err instanceof Error ? err.message : String(err)}`);
  });
}

const server = app.listen(settings.port, () => {
  console.log(`express-wecom-auth demo on ${settings.publicUrl}  (sessions: ${redis ? 'Redis' : 'memory'})`);
  if (emulator) {
    console.log(`WeCom emulator on ${emulator.url}: open ${settings.publicUrl}/ in a browser and pick a member,`);
    console.log(`or ${emulator.url}/client?user=zhangsan for 张三's WeCom: the app's homepage, its menu, and the cards it sends.`);
  }
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  wecom.close();
  metrics.close();
  void redis?.close();
  void emulator?.close();
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
