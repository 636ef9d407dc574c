// Pushing callbacks to an app's URL as WeCom does (接收消息与事件 概述,
// https://developer.work.weixin.qq.com/document/path/90238): a POST with msg_signature, timestamp
// and nonce in the query and the envelope in the body; "企业微信服务器在五秒内收不到响应会断掉连接，并且
// 重新发起请求，总共重试三次"; any status but 200 counts as a failure too. Each attempt is encrypted
// afresh (a new random prefix, timestamp and nonce; the plaintext stays the same). How many
// attempts "总共重试三次" means (3, or 1 + 3) and how long WeCom waits between them are not
// documented: both are options (docs/emulator.md, "Callbacks").
import { encrypt, msgSignature, nonce } from './callback-crypto.ts';
import { renderEnvelope, renderMessage } from './callback-messages.ts';
import { withQuery } from './callback-settings.ts';
import { handleReply } from './passive-reply.ts';
import type { MessageField } from './callback-messages.ts';
import type { CallbackState } from './callback-state.ts';
import type { CallbackAttempt, CallbackDelivery, FixtureCallback } from './callback-types.ts';
import type { Clock } from './clock.ts';
import type { Outgoing } from './outgoing.ts';
import type { PressContext } from './passive-reply.ts';

export interface DeliveryOptions {
  /** How long WeCom waits for an answer (5 s). */
  timeoutMs: number;
  /** Attempts in all, the first included (3). */
  attempts: number;
  /** The wait after a failed attempt before the next (5 s; WeCom documents none). */
  retryDelayMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { timeoutMs: 5000, attempts: 3, retryDelayMs: 5000 };

/** The log keeps the newest deliveries only, like the call log. */
export const MAX_DELIVERIES = 10_000;

export interface DeliveryInput {
  corpId: string;
  agentId: number;
  settings: FixtureCallback;
  event: string;
  from: string;
  fields: readonly MessageField[];
  /** For a template_card_event: whose card a passive reply updates. */
  press?: PressContext;
}

export interface Pushed {
  delivery: CallbackDelivery;
  /** Resolves once the first attempt has its outcome (the pages wait for it, bounded by the timeout). */
  firstAttempt: Promise<void>;
}

export class CallbackDeliveries {
  readonly list: CallbackDelivery[] = [];
  options: DeliveryOptions;
  readonly #outgoing: Outgoing;
  readonly #clock: Clock;
  readonly #state: CallbackState;
  readonly #running = new Set<Promise<void>>();
  readonly #sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  #nextId = 1;
  #closed = false;

  constructor(outgoing: Outgoing, clock: Clock, state: CallbackState, options: DeliveryOptions) {
    this.#outgoing = outgoing;
    this.#clock = clock;
    this.#state = state;
    this.options = options;
  }

  push(input: DeliveryInput): Pushed {
    const format = input.settings.format ?? 'xml';
    const delivery: CallbackDelivery = {
      id: this.#nextId++,
      corpId: input.corpId,
      agentId: input.agentId,
      event: input.event,
      from: input.from,
      url: input.settings.url,
      format,
      message: renderMessage(input.fields, format),
      createdAt: this.#clock.now(),
      state: 'pending',
      attempts: [],
    };
    this.list.push(delivery);
    if (this.list.length > MAX_DELIVERIES + 1000) this.list.splice(0, this.list.length - MAX_DELIVERIES);
    let first!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (first = resolve));
    const run = this.#run(delivery, input, first).finally(() => {
      first();
      this.#running.delete(run);
    });
    this.#running.add(run);
    return { delivery, firstAttempt };
  }

  /** Resolves when no delivery is pending any more (at once when none is). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  clear(): void {
    this.list.length = 0;
  }

  /** Ends the waits between attempts; requests in flight are ended by Outgoing.close(). */
  close(): void {
    this.#closed = true;
    for (const s of this.#sleepers) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.#sleepers.clear();
  }

  async #run(delivery: CallbackDelivery, input: DeliveryInput, firstDone: () => void): Promise<void> {
    const attempts = Math.max(1, this.options.attempts);
    for (let i = 0; i < attempts && !this.#closed; i++) {
      if (i > 0) await this.#sleep(this.options.retryDelayMs);
      if (this.#closed) break;
      const { attempt, body } = await this.#attempt(delivery, input);
      delivery.attempts.push(attempt);
      if (attempt.outcome === 'answered') {
        delivery.state = 'delivered';
        const reply = handleReply(body, input.settings, input.corpId, this.#state.cards, input.press, this.#clock.now());
        if (reply) delivery.reply = reply;
        return;
      }
      if (i === 0) firstDone();
    }
    delivery.state = 'failed';
  }

  async #attempt(delivery: CallbackDelivery, input: DeliveryInput): Promise<{ attempt: CallbackAttempt; body: string }> {
    const at = this.#clock.now();
    const timestamp = String(Math.floor(at / 1000));
    const n = nonce();
    const ciphertext = encrypt(input.settings.encodingAESKey, delivery.message, input.corpId);
    const envelope = renderEnvelope(delivery.format, input.corpId, input.agentId, ciphertext);
    const url = withQuery(input.settings.url, {
      msg_signature: msgSignature(input.settings.token, timestamp, n, ciphertext),
      timestamp,
      nonce: n,
    });
    const result = await this.#outgoing.send({
      method: 'POST',
      url,
      body: envelope.body,
      contentType: envelope.contentType,
      timeoutMs: this.options.timeoutMs,
    });
    if (result.kind === 'timeout') {
      return { attempt: { at, ms: result.ms, outcome: 'timeout', error: `no answer within ${this.options.timeoutMs} ms` }, body: '' };
    }
    if (result.kind === 'error') return { attempt: { at, ms: result.ms, outcome: 'network-error', error: result.error }, body: '' };
    const body = result.body.toString('utf8');
    const outcome = result.status === 200 ? 'answered' : 'http-error';
    return { attempt: { at, ms: result.ms, outcome, status: result.status, body: body.slice(0, 2048) }, body };
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.#sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      this.#sleepers.add(sleeper);
    });
  }
}
