/**
 * The HTTP layer: got's stream API with explicit per-phase timeouts and an overall deadline per
 * call, a cap on the size of an answer, keep-alive agents and got's own retry disabled (the client
 * retries by itself, knowing WeCom's errcodes). It returns WeCom's parsed JSON envelope and turns
 * every transport failure into a WeComHttpError without leaking the URL.
 *
 * One retry of its own: a request sent on a kept-alive connection that the server had just
 * closed for idleness fails with a reset before any answer (the race Node's http documentation
 * describes under `request.reusedSocket`); it is sent again once, on a new connection.
 */
import http from 'node:http';
import https from 'node:https';
import got, { RequestError, TimeoutError } from 'got';
import type { Got } from 'got';
import { WeComHttpError } from './errors.ts';
import { redact } from './redact.ts';

export interface HttpTimeouts {
  /** ms to establish the TCP connection (default 3000). */
  connect?: number;
  /** ms for the TLS handshake (default 3000). */
  secureConnect?: number;
  /** ms from the request written to the response headers (default 5000). */
  response?: number;
  /** ms from the response headers to the end of the body (default 5000). */
  read?: number;
  /**
   * ms for the whole call, from the start (DNS, waiting for a free socket) to the end of the body
   * (default 8000): the phases alone do not bound it, and a refresh lock must outlast any call.
   */
  total?: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Required<HttpTimeouts>> = Object.freeze({
  connect: 3000,
  secureConnect: 3000,
  response: 5000,
  read: 5000,
  total: 8000,
});

/** WeCom's answers are small JSON objects; anything bigger is not WeCom (or not one we want to buffer). */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** got's name for each timeout (`total` is its `request`, the overall deadline). */
const GOT_EVENT: Readonly<Record<string, keyof HttpTimeouts>> = {
  connect: 'connect',
  secureConnect: 'secureConnect',
  response: 'response',
  read: 'read',
  request: 'total',
};

export interface HttpRequest {
  /** The WeCom API name used in errors and logs, e.g. `user/getuserinfo`. */
  api: string;
  method: 'GET' | 'POST';
  /** A base URL with or without a trailing slash. */
  baseUrl: string;
  /** An absolute path, e.g. `/cgi-bin/user/getuserinfo`. */
  path: string;
  query: Record<string, string>;
  json?: unknown;
  /** Values to scrub from anything derived from this request (token, secret, code…). */
  secrets: readonly (string | undefined)[];
}

/** Strip trailing slashes so `https://host/` and `https://host` join the same way with `/path`. */
export function joinUrl(baseUrl: string, path: string): URL {
  return new URL(baseUrl.replace(/\/+$/, '') + path);
}

/** A sanitised stand-in for a lower-level error: its redacted message and its `code`, nothing else. */
function safeCause(err: unknown, secrets: readonly (string | undefined)[]): Error {
  const source = err instanceof Error ? err : new Error(String(err));
  const cause = new Error(redact(source.message, secrets));
  cause.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(cause, { code });
  // The stack would point inside got; the WeComHttpError's own stack is what matters.
  cause.stack = `${cause.name}: ${cause.message}`;
  return cause;
}

export class HttpTransport {
  readonly #timeouts: Required<HttpTimeouts>;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  /** got prepared once with every fixed option: a call passes only its URL (and a POST its method and body). */
  readonly #got: Got;
  /** The same for the one resend after a reset on a reused connection: a new connection, not kept. */
  readonly #gotFresh: Got;
  readonly #freshAgents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  constructor(timeouts: HttpTimeouts = {}) {
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...stripUndefined(timeouts) };
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.#httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
    const fixed = {
      headers: { accept: 'application/json' },
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: {
        connect: this.#timeouts.connect,
        secureConnect: this.#timeouts.secureConnect,
        response: this.#timeouts.response,
        read: this.#timeouts.read,
        request: this.#timeouts.total,
      },
    };
    this.#got = got.extend({ ...fixed, agent: { http: this.#httpAgent, https: this.#httpsAgent } });
    this.#gotFresh = got.extend({ ...fixed, agent: this.#freshAgents });
  }

  get timeouts(): Readonly<Required<HttpTimeouts>> {
    return this.#timeouts;
  }

  /** Send one request and return the parsed JSON object. Retries only a reset of a reused connection. */
  async request(req: HttpRequest): Promise<Record<string, unknown>> {
    const url = joinUrl(req.baseUrl, req.path);
    for (const [name, value] of Object.entries(req.query)) url.searchParams.set(name, value);

    let response: { statusCode: number; headers: http.IncomingHttpHeaders; body: string };
    const started = performance.now();
    try {
      response = await this.#send(url, req, false, this.#timeouts.total);
    } catch (err) {
      if (!(err instanceof StaleConnection)) throw this.#transportError(req, err);
      try {
        // The server had closed that connection: it never saw the request.
        response = await this.#send(url, req, true, Math.max(1, this.#timeouts.total - (performance.now() - started)));
      } catch (again) {
        throw this.#transportError(req, again);
      }
    }

    const status = response.statusCode;
    const body = response.body;
    const contentType = String(response.headers['content-type'] ?? 'no content type');
    let parsed: unknown;
    let isJson = false;
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
        isJson = true;
      } catch {
        isJson = false;
      }
    }
    if (body.trim() !== '' && (!isJson || parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new WeComHttpError(
        req.api,
        'not-json',
        `HTTP ${status} with a body that is not a JSON object (${redact(contentType)}, ${body.length} bytes); is something other than WeCom answering?`,
        { status },
      );
    }
    if (status < 200 || status > 299) {
      const hint = status >= 300 && status < 400 ? ' (a redirect: does the base URL use http instead of https?)' : '';
      throw new WeComHttpError(req.api, 'http-status', `unexpected HTTP status ${status}${hint}`, { status });
    }
    if (!isJson) {
      throw new WeComHttpError(req.api, 'not-json', `HTTP ${status} with an empty body`, { status });
    }
    return parsed as Record<string, unknown>;
  }

  /**
   * One exchange through got's stream API, the body read here. Not the promise API: once it has
   * read the body it destroys the request, and when the response ended before the request's own
   * 'finish' (which happens under load), Node has not yet handed the socket back to the agent, so
   * that destroy closes a healthy keep-alive connection and the next WeCom call pays a new TLS
   * handshake (bench/run.ts measured about one per three code exchanges).
   */
  #send(
    url: URL,
    req: HttpRequest,
    fresh: boolean,
    totalMs: number,
  ): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      // The usual call passes only its URL; a resend gets a new connection and what is left of the deadline.
      const instance = fresh ? this.#gotFresh : this.#got;
      const perCall = {
        ...(req.method === 'GET' ? {} : { method: req.method }),
        ...(req.json === undefined ? {} : { json: req.json }),
        ...(totalMs === this.#timeouts.total ? {} : { timeout: { request: totalMs } }),
      };
      const stream = Object.keys(perCall).length === 0 ? instance.stream(url) : instance.stream(url, perCall);
      let reused = false;
      stream.once('request', (request: http.ClientRequest) => {
        request.once('socket', () => {
          reused = request.reusedSocket;
        });
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let meta: { statusCode: number; headers: http.IncomingHttpHeaders } | undefined;
      stream.on('response', (res: http.IncomingMessage) => {
        meta = { statusCode: res.statusCode ?? 0, headers: res.headers };
      });
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          stream.destroy();
          reject(
            new WeComHttpError(
              req.api,
              'too-large',
              `the answer is larger than ${MAX_RESPONSE_BYTES} bytes; is something other than WeCom answering?`,
              meta ? { status: meta.statusCode } : undefined,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.once('error', (err: unknown) => {
        const code = (err as { code?: unknown }).code;
        if (!fresh && reused && meta === undefined && (code === 'ECONNRESET' || code === 'EPIPE')) reject(new StaleConnection(err));
        else reject(err);
      });
      stream.once('end', () => {
        if (!meta) {
          reject(new Error('no response'));
          return;
        }
        resolve({ ...meta, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
  }

  #transportError(req: HttpRequest, err: unknown): WeComHttpError {
    if (err instanceof WeComHttpError) return err;
    if (err instanceof TimeoutError) {
      const name = GOT_EVENT[err.event];
      const limit = name === undefined ? undefined : this.#timeouts[name];
      const detail = limit === undefined || name === undefined ? `timed out (${err.event})` : `timed out after ${limit} ms (${name})`;
      return new WeComHttpError(req.api, 'timeout', detail, { cause: safeCause(err, req.secrets) });
    }
    const code = err instanceof RequestError ? err.code : undefined;
    const detail = code && code !== 'ERR_GOT_REQUEST_ERROR' ? `network error ${code}` : 'network error';
    return new WeComHttpError(req.api, 'network', detail, { cause: safeCause(err, req.secrets) });
  }

  /** Destroy the keep-alive sockets. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
    this.#freshAgents.http.destroy();
    this.#freshAgents.https.destroy();
  }
}

/** Internal: the request went out on a kept-alive connection the server had closed. */
class StaleConnection extends Error {
  constructor(cause: unknown) {
    super('reset on a reused connection', { cause });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
