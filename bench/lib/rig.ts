/**
 * What every bench script measures against: the WeCom emulator under WeCom's host names over TLS
 * (its own throw-away certificate) and the load driver, each in its own process, pinned to the
 * load's cores (bench/lib/pin.ts). `env` is what an app process needs to reach the emulator and
 * trust its certificate.
 *
 * BENCH_WECOM_TLS=0: the emulator serves plain HTTP instead (the experiment on what TLS costs,
 * bench/NOTES.md); only the floor and the library can then reach it, through their base URLs.
 */
import { join } from 'node:path';
import { makeCert, type BenchCert } from './cert.ts';
import { cores, type Cores } from './pin.ts';
import { startProc, type Proc } from './procs.ts';

const PROCS = join(import.meta.dirname, '..', 'procs');

export interface Rig {
  cert: BenchCert;
  emulator: Proc;
  driver: Proc;
  env: Record<string, string>;
  cores: Cores;
  /** The emulator's plain-HTTP origin when BENCH_WECOM_TLS=0, else undefined. */
  plainOrigin: string | undefined;
  /** Stop the driver and the emulator, remove the certificate. */
  stop(): Promise<void>;
}

export async function startRig(): Promise<Rig> {
  const cert = makeCert();
  const plain = process.env['BENCH_WECOM_TLS'] === '0';
  const pin = cores();
  const emulator = await startProc(join(PROCS, 'emulator.ts'), {
    name: 'emulator',
    env: plain ? { BENCH_PLAIN: '1' } : { BENCH_TLS_KEY: cert.key, BENCH_TLS_CERT: cert.cert },
  });
  pin.loadPid(emulator.pid);
  const port = String(emulator.hello['port']);
  const plainOrigin = plain ? `http://127.0.0.1:${port}` : undefined;
  const env: Record<string, string> = {
    BENCH_WECOM_TLS_PORT: port,
    NODE_EXTRA_CA_CERTS: cert.certFile,
    BENCH_TLS_CERT: cert.cert,
    ...(plainOrigin ? { BENCH_WECOM_PLAIN_ORIGIN: plainOrigin } : {}),
  };
  const driver = await startProc(join(PROCS, 'driver.ts'), { name: 'driver', env });
  pin.loadPid(driver.pid);
  return {
    cert,
    emulator,
    driver,
    env,
    cores: pin,
    plainOrigin,
    async stop() {
      await driver.stop();
      await emulator.stop();
      cert.remove();
    },
  };
}
