/**
 * The login cookies, counted rather than timed: what a request costs (cookies read, signatures
 * checked, Set-Cookie lines written) whatever it carries, and the bytes a browser holds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { COOKIE_MAX_BYTES, MAX_TRANSACTIONS_LIMIT, TransactionCookies } from '../../src/express/transactions.ts';

/** The least of a request and a response these methods use: headers in, Set-Cookie out. */
function exchange(cookie?: string): { req: IncomingMessage; res: ServerResponse; lines: () => string[] } {
  const headers: Record<string, unknown> = {};
  const req = { headers: cookie === undefined ? {} : { cookie } } as unknown as IncomingMessage;
  const res = {
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = value;
    },
  } as unknown as ServerResponse;
  return { req, res, lines: () => (headers['set-cookie'] as string[] | undefined) ?? [] };
}

const cookies = (options: Partial<ConstructorParameters<typeof TransactionCookies>[0]> = {}) =>
  new TransactionCookies({ secrets: ['0123456789abcdef-secret'], secure: false, ttlMs: 600_000, max: 5, ...options });

/** The `name=value` pairs of Set-Cookie lines that set (not clear) a cookie, as the browser will send them. */
const pairsOf = (lines: string[]): string[] => lines.filter((l) => !/Max-Age=0/.test(l)).map((l) => l.split(';')[0] ?? '');

const JUNK = Array.from({ length: 800 }, (_, i) => `wecom_tx_${i.toString(36)}`);

describe('login cookies: the work a request costs is bounded', () => {
  it('800 junk login cookies and 200 states named at once: at most `limit` + `limit` cookies read, one pass', () => {
    const tx = cookies();
    const { req } = exchange(JUNK.map((n) => `${n}=x`).join('; '));
    const named = tx.named(
      req,
      JUNK.slice(0, 200).map((n) => n.slice('wecom_tx_'.length)),
    );
    assert.deepEqual(named, [], 'none of them is a login this browser started');
    // A second look at the same request reads nothing more: the header is parsed once.
    tx.read(req, JUNK[300]?.slice('wecom_tx_'.length));
    tx.prune(req, exchange().res, undefined);
    assert.ok(tx.work.cookiesRead <= 2 * tx.limit, `cookies read: ${tx.work.cookiesRead}`);
    assert.ok(tx.work.signaturesChecked <= 2 * tx.limit, `signatures checked: ${tx.work.signaturesChecked}`);
  });

  it('the clean-up of 800 junk cookies writes at most `limit` Set-Cookie lines', () => {
    const tx = cookies();
    const { req, res, lines } = exchange(JUNK.map((n) => `${n}=x`).join('; '));
    tx.prune(req, res, undefined);
    assert.ok(lines().length <= tx.limit, `${lines().length} lines`);
    assert.ok(lines().length > 0, 'the junk it read is cleared');
  });

  it('a forged, expired or foreign cookie is never a login; a genuine one is found among junk', () => {
    const tx = cookies();
    const start = exchange();
    const begun = tx.begin(start.req, start.res, { returnTo: '/orders/7?tab=1' });
    const [genuine] = pairsOf(start.lines());
    const junk = JUNK.map((n) => `${n}=x`).join('; ');
    const { req } = exchange(`${junk}; ${genuine}`);
    assert.equal(tx.read(req, begun.state)?.returnTo, '/orders/7?tab=1', 'found by name, wherever it stands');
    const other = cookies({ secrets: ['another-secret-of-16+'] });
    assert.equal(other.read(exchange(genuine).req, begun.state), undefined, 'signed with another key');
    const later = Date.now() + 600_001;
    assert.equal(tx.read(exchange(genuine).req, begun.state, undefined, later), undefined, 'expired');
    const hr = cookies({ appKey: 'hr' });
    assert.equal(hr.read(exchange(genuine).req, begun.state), undefined, "another app's login");
  });
});

describe('login cookies: bytes', () => {
  it('every cookie is at most COOKIE_MAX_BYTES for any return path up to 2048; a long one rides in the URL, bound by its hash', () => {
    for (const length of [1, 100, 300, 400, 500, 1000, 2048]) {
      for (const secure of [false, true]) {
        const tx = cookies({ secure, appKey: 'finance' });
        const returnTo = `/${'a'.repeat(length - 1)}`;
        const start = exchange();
        const begun = tx.begin(start.req, start.res, { returnTo, flow: 'web-login', app: 'finance' });
        const [pair = ''] = pairsOf(start.lines());
        assert.ok(pair.length <= COOKIE_MAX_BYTES, `${length}: ${pair.length} bytes`);
        const back = exchange(pair).req;
        if (begun.returnToInUrl === undefined) {
          assert.equal(tx.read(back, begun.state)?.returnTo, returnTo);
        } else {
          assert.equal(begun.returnToInUrl, returnTo);
          assert.equal(tx.read(back, begun.state)?.returnTo, undefined, 'the hash alone is no return path');
          assert.equal(tx.read(exchange(pair).req, begun.state, `${returnTo}x`), undefined, 'a changed `to` is refused');
          assert.equal(tx.read(exchange(pair).req, begun.state, returnTo)?.returnTo, returnTo);
        }
      }
    }
  });

  it('a browser that starts logins again and again holds at most `max` in flight and 3 finished: within the header budget', () => {
    const tx = cookies({ max: MAX_TRANSACTIONS_LIMIT });
    const jar = new Map<string, string>();
    const header = () => [...jar].map(([n, v]) => `${n}=${v}`).join('; ');
    let largest = 0;
    for (let i = 0; i < 40; i++) {
      const { req, res, lines } = exchange(header());
      const begun = tx.begin(req, res, { returnTo: `/${'x'.repeat(300)}?i=${i}` });
      if (i % 3 === 0) tx.finish(res, { state: begun.state, returnTo: '/', createdAt: Date.now() });
      for (const line of lines()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (/Max-Age=0/.test(line)) jar.delete(pair.slice(0, eq));
        else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      largest = Math.max(largest, header().length);
    }
    assert.ok(jar.size <= MAX_TRANSACTIONS_LIMIT + 3, `${jar.size} cookies`);
    assert.ok(largest <= (MAX_TRANSACTIONS_LIMIT + 3) * (COOKIE_MAX_BYTES + 2), `largest Cookie header ${largest} bytes`);
  });

  it('names: __Host- on https, the appKey before the state', () => {
    assert.equal(cookies({ secure: true }).prefix, '__Host-wecom_tx_');
    assert.equal(cookies({ secure: false, appKey: 'hr' }).prefix, 'wecom_tx_hr.');
  });
});
