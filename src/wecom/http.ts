/**
 * The HTTP layer: got's stream API with explicit per-phase timeouts, keep-alive agents and got's
 * own retry disabled (the client retries by itself, knowing WeCom's errcodes). It returns WeCom's parsed
 * JSON envelope and turns every transport failure into a WeComHttpError without leaking the URL.
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
}

export const DEFAULT_TIMEOUTS: Readonly<Required<HttpTimeouts>> = Object.freeze({
  connect: 3000,
  secureConnect: 3000,
  response: 5000,
  read: 5000,
});

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

  constructor(timeouts: HttpTimeouts = {}) {
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...stripUndefined(timeouts) };
    this.#httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.#httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
    this.#got = got.extend({
      headers: { accept: 'application/json' },
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      timeout: { ...this.#timeouts },
      agent: { http: this.#httpAgent, https: this.#httpsAgent },
    });
  }

  get timeouts(): Readonly<Required<HttpTimeouts>> {
    return this.#timeouts;
  }

  /** Send one request and return the parsed JSON object. Never retries. */
  async request(req: HttpRequest): Promise<Record<string, unknown>> {
    const url = joinUrl(req.baseUrl, req.path);
    for (const [name, value] of Object.entries(req.query)) url.searchParams.set(name, value);

    let response: { statusCode: number; headers: http.IncomingHttpHeaders; body: string };
    try {
      response = await this.#send(url, req);
    } catch (err) {
      throw this.#transportError(req, err);
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
  #send(url: URL, req: HttpRequest): Promise<{ statusCode: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const stream = req.method === 'GET' && req.json === undefined
        ? this.#got.stream(url)
        : this.#got.stream(url, { method: req.method, ...(req.json === undefined ? {} : { json: req.json }) });
      const chunks: Buffer[] = [];
      let meta: { statusCode: number; headers: http.IncomingHttpHeaders } | undefined;
      stream.on('response', (res: http.IncomingMessage) => {
        meta = { statusCode: res.statusCode ?? 0, headers: res.headers };
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', reject);
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
    if (err instanceof TimeoutError) {
      const limit = this.#timeouts[err.event as keyof HttpTimeouts];
      const detail = limit === undefined ? `timed out (${err.event})` : `timed out after ${limit} ms (${err.event})`;
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
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
