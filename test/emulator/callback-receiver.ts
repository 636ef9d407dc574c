// A small app-side receiver for the emulator's callback tests: a node:http server on loopback that
// records what arrives and opens it with the library's framework-free receiver core (src/wecom/,
// the other implementation of WeCom's crypto), so every test also checks that the emulator's
// deliveries pass the library's checks. How it answers is up to each test.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { CallbackCrypto, openDelivery, sealReplyBody, verifyUrl } from '../../src/wecom/index.ts';
import type { TestContext } from 'node:test';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const APP = {
  token: 'emuTestToken01',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'wwdemocorp0000001',
};

export interface Received {
  method: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: string;
  /** The decrypted message (POST) or echostr (GET), as the library opened it; undefined when it refused it. */
  opened: string | undefined;
}

export interface Answer {
  status?: number;
  body?: string | Buffer;
  /** Answer after this many ms (real time); 'never' holds the request open. */
  delayMs?: number | 'never';
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves with the first `count` requests of `method`, or fails after `timeoutMs`. */
  waitFor(count: number, method?: 'GET' | 'POST', timeoutMs?: number): Promise<Received[]>;
  /** A passive reply sealed by the library, for `answer` to return. */
  reply(message: string, format?: 'xml' | 'json'): string;
  crypto: CallbackCrypto;
}

type Respond = (request: Received, index: number) => Answer | undefined;

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** GET: the library's verifyUrl answer (the plaintext); POST: an empty 200, unless `respond` says otherwise. */
export async function startReceiver(t: TestContext, respond: Respond = () => undefined, format: 'xml' | 'json' = 'xml'): Promise<Receiver> {
  const crypto = new CallbackCrypto({
    credentials: { token: APP.token, encodingAESKey: APP.encodingAESKey },
    receiveId: APP.receiveId,
    // The emulator's clock may be moved by a test; the window is not what these tests check.
    timestampWindowMs: Infinity,
  });
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const query = Object.fromEntries(url.searchParams);
      const body = await readAll(req);
      let opened: string | undefined;
      let own: Answer;
      try {
        if (req.method === 'GET') {
          const check = verifyUrl(crypto, query);
          opened = check.body;
          own = { status: 200, body: check.body };
        } else {
          opened = openDelivery(crypto, { query, body }, { format }).message;
          own = { status: 200, body: '' };
        }
      } catch {
        own = { status: 400, body: '' };
      }
      const entry: Received = { method: req.method ?? '', query, contentType: req.headers['content-type'], body, opened };
      received.push(entry);
      for (const wake of waiters) wake();
      const answer = { ...own, ...respond(entry, received.length - 1) };
      if (answer.delayMs === 'never') {
        held.add(res);
        return;
      }
      if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs as number));
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { 'Content-Type': 'text/plain' });
      res.end(answer.body ?? '');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/wecom/events`,
    received,
    crypto,
    reply: (message, replyFormat = format) => sealReplyBody(crypto, message, replyFormat).body,
    waitFor(count, method, timeoutMs = 15_000) {
      const matching = (): Received[] => received.filter((r) => method === undefined || r.method === method);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (matching().length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(matching().slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`receiver: ${matching().length} of ${count} ${method ?? ''} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** A field of a decrypted XML message (the emulator writes text in CDATA, numbers bare). */
export function field(message: string | undefined, name: string): string | undefined {
  assert.ok(message !== undefined, 'the library opened the delivery');
  return new RegExp(`<${name}>(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</${name}>`)
    .exec(message)
    ?.slice(1)
    .find((v) => v !== undefined);
}
