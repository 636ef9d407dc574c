/**
 * express-wecom-auth: log WeCom (企业微信) employees into Express apps.
 *
 * The public API, kept small: the middleware factory, the WeCom client and its in-memory token
 * cache, the error classes (each with a `code`), the diagnostics channels, and the types they hand
 * out. Redis lives in `express-wecom-auth/redis`, Prometheus metrics in `express-wecom-auth/metrics`,
 * the emulator in `express-wecom-auth/emulator`.
 */
export { wecomAuth } from './wecom-auth.ts';
export type { WeComAuth } from './wecom-auth.ts';
export type {
  WeComAuthOptions,
  WeComAuthRoutes,
  WeComAuthHooks,
  Scope,
  IdentityEndpoint,
  ResolvedConfig as WeComAuthConfig,
} from './config.ts';
export type { GuardOptions } from './express/guard.ts';
export type { EntryLinks } from './express/entry-links.ts';
export type { WeComUser } from './express/session.ts';
export type { PageContext, PageId, PageRenderer, Lang, Views } from './express/views.ts';
// The mini-program login on its own, for a mini program associated with several corporations.
export { createMiniProgramLogin } from './express/miniprogram.ts';
export { bearerSession } from './express/bearer-session.ts';
export type { BearerSessionOptions } from './express/bearer-session.ts';
export type { MiniProgramLoginOptions, MiniProgramLoginResponse, MiniProgramUser } from './express/miniprogram.ts';
export type { JsapiConfigType } from './express/jssdk.ts';

// Hearing WeCom (docs/callbacks.md): the receiver on its own, its events, offboarding's index.
export { createCallbackReceiver } from './express/callback-receiver.ts';
export type { CallbackReceiver, CallbackReceiverOptions } from './express/callback-receiver.ts';
export type { CallbackOptions } from './config.ts';
export { CallbackDispatcher } from './wecom/callback-dispatch.ts';
export type { CallbackHandler, HandlerContext, DispatchResult, DispatchOutcome } from './wecom/callback-dispatch.ts';
export { verifyUrl, openDelivery } from './wecom/callback-delivery.ts';
export { sharedEntriesDedup, deliveryKey } from './wecom/callback-dedup.ts';
export type { DeliveryDedup, DeliveryClaim } from './wecom/callback-dedup.ts';
export { CallbackCrypto } from './wecom/callback-crypto.ts';
export type { CallbackCredential } from './wecom/callback-crypto.ts';
export type * from './wecom/callback-event-types.ts';
export { MemorySessionIndex } from './express/session-index.ts';
export type { SessionIndex, SessionOwner } from './express/session-index.ts';

// Errors: each class has a `code` constant and never carries a secret.
export { WeComOptionsError } from './options.ts';
export { WeComLoginError } from './express/login-error.ts';
export type { LoginFailure, LoginFailureReason } from './express/login-error.ts';
export { SessionUnavailableError } from './express/session.ts';
export { WeComError, WeComApiError, WeComConfigError, WeComRateLimitError, WeComHttpError, describeWeComError } from './wecom/errors.ts';
export type { WeComErrorCode, WeComSetting, WeComHttpErrorKind, WeComErrorDescription } from './wecom/errors.ts';
export { WeComRequestError } from './wecom/request-error.ts';
export { WeComRecipientsError } from './wecom/messages.ts';
export {
  WeComCallbackError,
  WECOM_CALLBACK_BAD_SIGNATURE,
  WECOM_CALLBACK_DECRYPT_FAILED,
  WECOM_CALLBACK_MALFORMED,
  WECOM_CALLBACK_STALE,
  WECOM_CALLBACK_TOO_LARGE,
} from './wecom/callback-errors.ts';
export type { WeComCallbackErrorCode } from './wecom/callback-errors.ts';

// The WeCom client, usable without Express.
export { WeComClient } from './wecom/client.ts';
export type { WeComClientOptions, WeComMember, WeComUserDetail, MiniProgramSession, GetIdentityOptions } from './wecom/client.ts';
export { MemoryTokenCache } from './wecom/memory-token-cache.ts';
export type { TokenCache, CachedCredential, SharedEntries } from './wecom/token-cache.ts';
export type { WeComIdentity } from './wecom/identity.ts';
export type { JsapiConfig, AgentConfig } from './wecom/jsapi.ts';
export type { WeComLogger } from './wecom/logger.ts';
export type { HttpTimeouts } from './wecom/http.ts';
export type {
  AppMessage,
  MessageRecipients,
  NewsArticle,
  SendMessageInput,
  SendMessageOptions,
  SendMessageResult,
  TextCard,
  TextNoticeCard,
  TruncatedField,
} from './wecom/messages.ts';
export type { MenuButton, MenuGroup, MenuItem } from './wecom/menu.ts';
export type { AgentSettings, WeComAgent } from './wecom/agent.ts';

// Operations: events through node:diagnostics_channel (docs/operations.md).
export { channels } from './diagnostics.ts';
export type {
  ChannelName,
  LoginStartedEvent,
  LoginSucceededEvent,
  LoginFailedEvent,
  WeComCallEvent,
  CredentialEvent,
  CallbackDeliveryEvent,
  SessionsEndedEvent,
} from './diagnostics.ts';
