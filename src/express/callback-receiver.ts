/**
 * The callback receiver for Express: the URL the console's 「接收消息」 settings point at
 * (docs/callbacks.md). A thin adapter over the WeCom layer's framework-free core
 * (src/wecom/callback-delivery.ts, callback-dispatch.ts):
 *
 * - GET, the console's URL check: the echostr's plaintext, alone (verifyUrl);
 * - POST, a delivery: the raw body read here, with a limit, whatever body parser the app mounted
 *   before (express.text or express.raw hand over the bytes, an XML or JSON parser the fields,
 *   whose Encrypt is what the signature covers), then openDelivery and the handlers;
 * - WeCom's 5-second budget: the answer goes out after `budgetMs` (4 s) at the latest. Handlers
 *   that finish in time answer for themselves (a failure is a 500, so WeCom retries); slower
 *   ones are acknowledged with an empty 200, and what they do afterwards, failure included, is
 *   logged and published on the diagnostics channel: never lost silently;
 * - anything hostile (a bad or missing signature, another receiver, tampered ciphertext, a stale
 *   timestamp, DOCTYPE or entities, a body over the limit) is its 4xx and a short plain text, one
 *   answer for every decryption failure, and nothing is run or logged above debug level.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CallbackCrypto } from '../wecom/callback-crypto.ts';
import type { CallbackCredential } from '../wecom/callback-crypto.ts';
import { openDelivery, verifyUrl } from '../wecom/callback-delivery.ts';
import type { CallbackQuery } from '../wecom/callback-delivery.ts';
import { CallbackDispatcher } from '../wecom/callback-dispatch.ts';
import type { DispatchResult } from '../wecom/callback-dispatch.ts';
import type { DeliveryDedup } from '../wecom/callback-dedup.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../wecom/callback-envelope.ts';
import type { CallbackFormat } from '../wecom/callback-envelope.ts';
import { WeComCallbackError } from '../wecom/callback-errors.ts';
import { channels, isObserved, publish } from '../diagnostics.ts';
import type { CallbackDeliveryEvent } from '../diagnostics.ts';
import { createLog } from '../wecom/logger.ts';
import type { WeComLogger } from '../wecom/logger.ts';
import { readBodyOf } from './callback-body.ts';

/** WeCom waits 5 s for an answer (https://developer.work.weixin.qq.com/document/path/90238); this leaves a second for the network. */
const DEFAULT_BUDGET_MS = 4000;

export interface CallbackReceiverOptions {
  /** The console's Token and EncodingAESKey; several while a change is rolled out, the newest first. */
  credentials: CallbackCredential | readonly CallbackCredential[];
  /** What the decrypted message must be addressed to: the corp ID (a third-party app's: the suite ID). */
  receiveId: string;
  /** The app's AgentId, for the de-duplication key of address-book events (which carry none). */
  agentId?: number | undefined;
  /** The format chosen in the console. Default `'xml'`. */
  format?: CallbackFormat;
  /** Largest body, in bytes (413 past it). Default 256 KiB. */
  maxBodyBytes?: number;
  /** How long handlers may run before the answer goes out anyway. Default 4000 ms. */
  budgetMs?: number;
  /** How far a delivery's timestamp may be from now, in ms. Default 5 minutes. */
  timestampWindowMs?: number;
  /** Where deliveries are claimed (fleet-wide through the token cache), `false` for none. Default: this process. */
  dedup?: DeliveryDedup | false;
  /** Handlers; default a new dispatcher (register with `receiver.on`). */
  dispatcher?: CallbackDispatcher;
  /** Sees each request first (wecomAuth() learns the session store from it, for offboarding). */
  onRequest?: (req: Request) => void;
  /** The app's `appKey`, on the diagnostics events. */
  appKey?: string | undefined;
  logger?: WeComLogger | undefined;
}

export interface CallbackReceiver extends RequestHandler {
  /** Register a handler by event name (`'change_contact.delete_user'`, `'template_card_event'`, `'*'`…). */
  readonly on: CallbackDispatcher['on'];
  readonly off: CallbackDispatcher['off'];
  readonly dispatcher: CallbackDispatcher;
  /** At shutdown: waits for the handlers still running, at most `timeoutMs` (default 10 s); true when all finished. */
  drain(timeoutMs?: number): Promise<boolean>;
}

export function createCallbackReceiver(options: CallbackReceiverOptions): CallbackReceiver {
  const crypto = new CallbackCrypto({
    credentials: options.credentials,
    receiveId: options.receiveId,
    ...(options.timestampWindowMs === undefined ? {} : { timestampWindowMs: options.timestampWindowMs }),
  });
  const dispatcher = options.dispatcher ?? new CallbackDispatcher(options.dedup === undefined ? {} : { dedup: options.dedup });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const format = options.format ?? 'xml';
  const log = createLog(options.logger, 'callbacks');
  const report = (event: Omit<CallbackDeliveryEvent, 'durationMs' | 'appKey'>, began: number): void => {
    if (!isObserved(channels.callbackDelivery)) return;
    publish(channels.callbackDelivery, {
      ...event,
      durationMs: performance.now() - began,
      ...(options.appKey === undefined ? {} : { appKey: options.appKey }),
    });
  };

  async function handle(req: Request, res: Response): Promise<void> {
    const began = performance.now();
    const query = queryOf(req);
    try {
      if (req.method === 'GET') {
        const answer = verifyUrl(crypto, query);
        send(res, 200, answer.body, answer.contentType);
        report({ outcome: 'verified', status: 200 }, began);
        return;
      }
      const body = await readBodyOf(req, maxBodyBytes, format);
      const opened = openDelivery(crypto, { query, body }, { format, maxBodyBytes, agentId: options.agentId });
      const running = dispatcher.receive(opened);
      const result = await Promise.race([running, timeout(budgetMs)]);
      if (result === undefined) {
        // Acknowledged in time; the handlers go on, and what they end with is reported.
        send(res, 200, '', 'text/plain; charset=utf-8');
        log.warn('wecom callback: handlers ran past the budget; acknowledged, still running', { event: opened.event.name, budgetMs });
        running.then(
          (late) => lateOutcome(late, began),
          (err: unknown) => lateOutcome(undefined, began, err),
        );
        return;
      }
      send(res, result.answer.status, result.answer.body, result.answer.contentType ?? 'text/plain; charset=utf-8');
      if (result.outcome === 'failed' || result.outcome === 'unavailable')
        log.error('wecom callback: handlers failed; WeCom will retry', { event: opened.event.name, errors: result.errors.length });
      report({ outcome: result.outcome, event: opened.event.name, status: result.answer.status }, began);
    } catch (err) {
      if (!(err instanceof WeComCallbackError)) throw err;
      // The code only: never the token, the key or a decrypted body.
      log.debug('wecom callback refused', { code: err.code });
      // A body over the limit is left unread: closing the connection drops it instead of reading it.
      if (err.status === 413) res.setHeader('Connection', 'close');
      send(res, err.status, `${err.code}\n`, 'text/plain; charset=utf-8');
      report({ outcome: 'refused', reason: err.code, status: err.status }, began);
    }
  }

  function lateOutcome(result: DispatchResult | undefined, began: number, err?: unknown): void {
    const failed = result === undefined || result.outcome === 'failed' || result.outcome === 'unavailable';
    if (!failed) return;
    log.error('wecom callback: handlers failed after the answer; WeCom will not retry', {
      event: result?.event.name,
      error: err instanceof Error ? err.name : undefined,
    });
    report({ outcome: 'late-failure', status: 200, ...(result ? { event: result.event.name } : {}) }, began);
  }

  const receiver = function wecomCallbackReceiver(req: Request, res: Response, next: NextFunction): void {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      send(res, 405, 'GET (URL check) or POST (a delivery)\n', 'text/plain; charset=utf-8');
      return;
    }
    options.onRequest?.(req);
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      log.error('wecom callback receiver failed', { error: err instanceof Error ? err.name : typeof err });
      next(err);
    });
  } as CallbackReceiver;
  return Object.assign(receiver, {
    on: dispatcher.on.bind(dispatcher) as CallbackDispatcher['on'],
    off: dispatcher.off.bind(dispatcher) as CallbackDispatcher['off'],
    dispatcher,
    drain: (timeoutMs = 10_000) => Promise.race([dispatcher.drain().then(() => true), timeout(timeoutMs).then(() => false)]),
  });
}

/** The query as single strings: a repeated parameter stays an array, which the core refuses. */
function queryOf(req: Request): CallbackQuery {
  const url = new URL(req.originalUrl || req.url || '/', 'http://receiver.invalid');
  const one = (name: string): string | string[] | undefined => {
    const all = url.searchParams.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  };
  return { msg_signature: one('msg_signature'), timestamp: one('timestamp'), nonce: one('nonce'), echostr: one('echostr') };
}

function send(res: Response, status: number, body: string, contentType: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', String(Buffer.byteLength(body)));
  res.end(body);
}

function timeout(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
