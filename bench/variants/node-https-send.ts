/**
 * The bench's stand-in for got inside src/wecom/http.ts (bench/lib/variant.ts copies this file
 * next to it in a scratch copy of src/ and makes HttpTransport's #send() return this): one
 * exchange on node:http(s) with the transport's own keep-alive agents, doing the work got does
 * there (phase timeouts, the overall deadline, the size cap, the resend on a stale connection), so
 * that the difference to the library as it is measures got and nothing else. Not used by the
 * library: got is its HTTP client (a decided choice); this file only prices it.
 *
 * Self-contained (node: imports only), so that it works wherever the copy puts it.
 */
import http from 'node:http';
import https from 'node:https';

export interface Sent {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface PhaseTimeouts {
  connect: number;
  secureConnect: number;
  response: number;
  read: number;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** A phase took longer than its limit; the library reports it as a network failure (the bench sees none). */
function timeout(phase: string): Error {
  return Object.assign(new Error(`timed out (${phase})`), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

export function sendViaNodeHttps(
  url: URL,
  req: { method: 'GET' | 'POST'; json?: unknown },
  agents: { http: http.Agent; https: https.Agent },
  timeouts: PhaseTimeouts,
  totalMs: number,
  fresh: boolean,
  stale: (err: unknown) => Error,
): Promise<Sent> {
  const secure = url.protocol === 'https:';
  const payload = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json));
  return new Promise((resolve, reject) => {
    let phase: NodeJS.Timeout | undefined;
    let answered = false;
    const overall = setTimeout(() => request.destroy(timeout('total')), totalMs);
    const arm = (ms: number, name: string): void => {
      clearTimeout(phase);
      phase = setTimeout(() => request.destroy(timeout(name)), ms);
    };
    const settle = (): void => {
      clearTimeout(phase);
      clearTimeout(overall);
    };
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(payload.length) });
    const options = { method: req.method, agent: secure ? agents.https : agents.http, headers };
    const request = (secure ? https : http).request(url, options, (res) => {
      answered = true;
      arm(timeouts.read, 'read');
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) request.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.once('end', () => {
        settle();
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.once('error', (err) => {
        settle();
        reject(err);
      });
    });
    request.once('socket', (socket) => {
      if (!(socket as { connecting?: boolean }).connecting) {
        arm(timeouts.response, 'response');
        return;
      }
      arm(timeouts.connect, 'connect');
      socket.once('connect', () => arm(secure ? timeouts.secureConnect : timeouts.response, secure ? 'secureConnect' : 'response'));
      if (secure) socket.once('secureConnect', () => arm(timeouts.response, 'response'));
    });
    request.once('error', (err: unknown) => {
      settle();
      const code = (err as { code?: unknown }).code;
      // The server had closed a kept-alive connection: it never saw the request (the library resends once).
      if (!fresh && request.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) reject(stale(err));
      else reject(err);
    });
    request.end(payload);
  });
}
