/**
 * A throw-away self-signed certificate for the emulator's TLS listener, made with the system's
 * openssl (no dependency). Its names are WeCom's host names, so TLS verification stays on in the
 * processes under test: they trust it through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchCert {
  dir: string;
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
  remove(): void;
}

export const WECOM_HOSTS = ['qyapi.weixin.qq.com', 'open.weixin.qq.com', 'open.work.weixin.qq.com', 'login.work.weixin.qq.com'];

export function makeCert(): BenchCert {
  const dir = mkdtempSync(join(tmpdir(), 'wecom-bench-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const san = [...WECOM_HOSTS.map((h) => `DNS:${h}`), 'IP:127.0.0.1'].join(',');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=qyapi.weixin.qq.com',
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return {
    dir,
    keyFile,
    certFile,
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
