/**
 * What `wecomAuth()` adds to hear WeCom (docs/callbacks.md): the session index every login
 * writes, the offboarding that ends a departed member's sessions, and the receiver to mount
 * where the console's 「接收消息」 URL points, its deliveries de-duplicated through the same
 * shared cache as the tokens (Redis for a fleet).
 */
import type { ResolvedConfig } from '../config.ts';
import type { WeComClient } from '../wecom/index.ts';
import type { TokenCache } from '../wecom/token-cache.ts';
import { sharedEntriesDedup } from '../wecom/callback-dedup.ts';
import { WeComOptionsError } from '../options.ts';
import { createCallbackReceiver } from './callback-receiver.ts';
import type { CallbackReceiver } from './callback-receiver.ts';
import { Offboarding } from './offboarding.ts';
import { MemorySessionIndex } from './session-index.ts';

export interface Hearing {
  offboarding: Offboarding;
  /** The receiver (one per wecomAuth()); throws when `callbacks` is not configured. */
  receiver(): CallbackReceiver;
}

export function setUpHearing(config: ResolvedConfig, client: WeComClient, tokenCache: TokenCache): Hearing {
  const offboarding = new Offboarding({
    index: config.sessionIndex ?? new MemorySessionIndex(),
    store: config.sessionStore,
    clientFor: (corpId) => (corpId === client.corpId ? client : undefined),
    logger: config.logger,
  });
  let receiver: CallbackReceiver | undefined;
  return {
    offboarding,
    receiver(): CallbackReceiver {
      const callbacks = config.callbacks;
      if (!callbacks) {
        throw new WeComOptionsError(
          'wecomAuth',
          'callbacks',
          "is needed for callbackReceiver(): the console's { credentials: { token, encodingAESKey } } (docs/callbacks.md).",
        );
      }
      if (receiver) return receiver;
      receiver = createCallbackReceiver({
        credentials: callbacks.credentials,
        receiveId: config.corpId,
        agentId: config.agentId,
        format: callbacks.format,
        maxBodyBytes: callbacks.maxBodyBytes,
        budgetMs: callbacks.budgetMs,
        timestampWindowMs: callbacks.timestampWindowMs,
        dedup: sharedEntriesDedup(tokenCache),
        appKey: config.appKey,
        logger: config.logger,
        // Mounted after express-session, its requests carry the store whose sessions offboarding ends.
        onRequest: (req) => offboarding.seeStore(req),
      });
      if (callbacks.offboarding) offboarding.register(receiver.dispatcher);
      return receiver;
    },
  };
}
