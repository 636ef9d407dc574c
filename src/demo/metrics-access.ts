/**
 * Who may read `/metrics`: the metrics name the app's WeCom calls, error codes and login rates,
 * nothing a stranger should see. A request with `Authorization: Bearer <METRICS_TOKEN>` (compared
 * in constant time), or one straight from this machine; anything else gets a 403 without a metric.
 *
 * "Straight from this machine" means: the TCP peer is a loopback address, no forwarding header
 * says a proxy passed it on, and the demo is configured as a local run (no `trust proxy`, a
 * loopback PUBLIC_URL). Behind a reverse proxy every request comes from the proxy's address, often
 * loopback, so there the address proves nothing: with TRUST_PROXY set or a public PUBLIC_URL only
 * the token opens /metrics. `req.ip` is never used: it is whatever X-Forwarded-For says once
 * `trust proxy` is on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';

export interface MetricsAccess {
  /** Opens /metrics to `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Whether loopback clients are let in without the token (see above). */
  loopback: boolean;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

/** 127.0.0.0/8, ::1 and 127.x as an IPv4-mapped IPv6 address (how a dual-stack socket reports it). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127(\.\d{1,3}){3}$/.test(v4);
}

function fromThisMachine(req: Request): boolean {
  return isLoopbackAddress(req.socket.remoteAddress) && FORWARDING_HEADERS.every((h) => req.headers[h] === undefined);
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function metricsAccess(access: MetricsAccess): RequestHandler {
  // Both sides hashed first: equal lengths for timingSafeEqual, and no length leaked.
  const expected = access.token ? digest(access.token) : undefined;
  return (req, res, next) => {
    const sent = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
    if (expected && sent !== undefined && timingSafeEqual(digest(sent), expected)) return next();
    if (access.loopback && fromThisMachine(req)) return next();
    res.status(403).setHeader('Cache-Control', 'no-store');
    res
      .type('text/plain')
      .send(
        'metrics: refused. Send Authorization: Bearer <METRICS_TOKEN> (set METRICS_TOKEN for the demo); only a local run without a proxy lets this machine in without it.\n',
      );
  };
}
