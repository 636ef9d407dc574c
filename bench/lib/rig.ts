/**
 * What every bench script measures against: the WeCom emulator over TLS under WeCom's host names
 * (its own throw-away certificate) and the load driver, each in its own process. `env` is what an
 * app process needs to reach the emulator and trust its certificate.
 */
import { join } from 'node:path';
import { makeCert, type BenchCert } from './cert.ts';
import { startProc, type Proc } from './procs.ts';

const PROCS = join(import.meta.dirname, '..', 'procs');

export interface Rig {
  cert: BenchCert;
  emulator: Proc;
  driver: Proc;
  env: Record<string, string>;
  /** Stop the driver and the emulator, remove the certificate. */
  stop(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const cert = makeCert();
  const emulator = await startProc(join(PROCS, 'emulator.ts'), {
    name: 'emulator',
    env: { BENCH_TLS_KEY: cert.key, BENCH_TLS_CERT: cert.cert },
  });
  const env = { BENCH_WECOM_TLS_PORT: String(emulator.hello['port']), NODE_EXTRA_CA_CERTS: cert.certFile, BENCH_TLS_CERT: cert.cert };
  const driver = await startProc(join(PROCS, 'driver.ts'), { name: 'driver', env });
  return {
    cert,
    emulator,
    driver,
    env,
    async stop() {
      await driver.stop();
      await emulator.stop();
      cert.remove();
    },
  };
}
