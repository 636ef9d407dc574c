// The emulator's own HTTP requests to an app (the URL check and the callback deliveries): WeCom
// is the client here. One request, a deadline over the whole exchange (WeCom's "五秒内收不到响应会断掉
// 连接", https://developer.work.weixin.qq.com/document/path/90238), the answer read as raw bytes so
// that a BOM or a newline is seen as it was sent, and a cap on what is read.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';

/** More than any passive reply needs; an app answering more is cut here. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface OutgoingRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  contentType?: string;
  timeoutMs: number;
}

export type OutgoingResult =
  | { kind: 'answer'; status: number; body: Buffer; contentType: string | undefined; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'error'; error: string; ms: number };

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = 'code' in err && typeof err.code === 'string' ? `${err.code}: ` : '';
    return `${code}${err.message}`.slice(0, 300);
  }
  return String(err).slice(0, 300);
}

/** One emulator's requests in flight, so that closing it ends them (and only them). */
export class Outgoing {
  readonly #inFlight = new Set<ClientRequest>();
  #closed = false;

  send(input: OutgoingRequest): Promise<OutgoingResult> {
    if (this.#closed) return Promise.resolve({ kind: 'error', error: 'the emulator is closing', ms: 0 });
    return send(input, this.#inFlight);
  }

  close(): void {
    this.#closed = true;
    for (const req of this.#inFlight) req.destroy();
    this.#inFlight.clear();
  }
}

function send(input: OutgoingRequest, inFlight: Set<ClientRequest>): Promise<OutgoingResult> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: OutgoingResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      req.destroy();
      resolve(result);
    };
    let req: ClientRequest;
    try {
      const url = new URL(input.url);
      const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers: Record<string, string> = { 'User-Agent': 'Mozilla/4.0', Accept: '*/*' };
      if (input.body !== undefined) {
        headers['Content-Type'] = input.contentType ?? 'text/xml';
        headers['Content-Length'] = String(Buffer.byteLength(input.body));
      }
      // agent: false: one connection per request, so nothing stays open after the emulator closes.
      req = make(url, { method: input.method, headers, agent: false });
    } catch (err) {
      resolve({ kind: 'error', error: describe(err), ms: elapsed() });
      return;
    }
    inFlight.add(req);
    const timer = setTimeout(() => finish({ kind: 'timeout', ms: elapsed() }), input.timeoutMs);
    req.on('error', (err) => finish({ kind: 'error', error: describe(err), ms: elapsed() }));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (err) => finish({ kind: 'error', error: describe(err), ms: elapsed() }));
      res.on('end', () =>
        finish({
          kind: 'answer',
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES),
          contentType: res.headers['content-type'],
          ms: elapsed(),
        }),
      );
    });
    req.end(input.body);
  });
}
