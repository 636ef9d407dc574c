/** The WeCom API client: public API. No Express in here. */
export { WeComClient, DEFAULT_API_BASE_URL } from './client.ts';
export type { WeComClientOptions, WeComMember, WeComUserDetail, MiniProgramSession, GetIdentityOptions } from './client.ts';
export {
  WeComError,
  WeComApiError,
  WeComConfigError,
  WeComRateLimitError,
  WeComHttpError,
  WECOM_API_ERROR,
  WECOM_CONFIG_ERROR,
  WECOM_RATE_LIMITED,
  WECOM_HTTP_ERROR,
  describeWeComError,
} from './errors.ts';
export type { WeComErrorCode, WeComSetting, WeComHttpErrorKind, WeComErrorDescription } from './errors.ts';
export { redact } from './redact.ts';
export { MemoryTokenCache } from './memory-token-cache.ts';
export type { MemoryTokenCacheOptions } from './memory-token-cache.ts';
export type { TokenCache, CachedCredential, FreshCredential, CredentialFetch, SharedEntries } from './token-cache.ts';
export { accessTokenKey, appKey, credentialLifetimeMs } from './access-token.ts';
export type { WeComIdentity, IdentityEndpoint } from './identity.ts';
export { buildAuthorizeUrl, buildWebLoginUrl, DEFAULT_OAUTH_BASE_URL, DEFAULT_LOGIN_BASE_URL } from './urls.ts';
export type { AuthorizeUrlOptions, WebLoginUrlOptions, WeComOAuthScope } from './urls.ts';
export { classifyUserAgent } from './user-agent.ts';
export type { UserAgentInfo, UserAgentKind } from './user-agent.ts';
export { jsapiSignature } from './jsapi.ts';
export type { JsapiSignatureInput, JsapiConfig, AgentConfig } from './jsapi.ts';
export type { WeComLogger } from './logger.ts';
export type { HttpTimeouts } from './http.ts';
export type { BusyRetryOptions } from './retry.ts';
export { WeComRequestError, WECOM_INVALID_REQUEST } from './request-error.ts';
export { WeComRecipientsError, prepareMessage, truncateToBytes, MESSAGE_LIMITS } from './messages.ts';
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
} from './messages.ts';
export { prepareMenu, MENU_LIMITS } from './menu.ts';
export type { MenuButton, MenuGroup, MenuItem, MenuKeyType } from './menu.ts';
export { prepareAgentSettings, AGENT_LIMITS } from './agent.ts';
export type { AgentSettings, WeComAgent } from './agent.ts';
// The callback receiver's framework-free core (接收消息与事件, docs/callbacks.md).
export { CallbackCrypto, callbackSignature, DEFAULT_TIMESTAMP_WINDOW_MS } from './callback-crypto.ts';
export type {
  CallbackCredential,
  CallbackCryptoOptions,
  OpenedMessage,
  SealedMessage,
  SealOptions,
  SignedCiphertext,
} from './callback-crypto.ts';
export {
  WeComCallbackError,
  WECOM_CALLBACK_BAD_SIGNATURE,
  WECOM_CALLBACK_DECRYPT_FAILED,
  WECOM_CALLBACK_STALE,
  WECOM_CALLBACK_MALFORMED,
  WECOM_CALLBACK_TOO_LARGE,
} from './callback-errors.ts';
export type { WeComCallbackErrorCode } from './callback-errors.ts';
export { DEFAULT_MAX_BODY_BYTES, parseEnvelope, parseMessage } from './callback-envelope.ts';
export type { CallbackEnvelope, CallbackFormat, EnvelopeOptions } from './callback-envelope.ts';
export type { XmlFields, XmlValue } from './callback-xml.ts';
export { eventNames, toCallbackEvent } from './callback-events.ts';
export type {
  BatchJobResultEvent,
  CallbackEvent,
  CallbackEventBase,
  CallbackEventMap,
  CallbackEventName,
  CallbackMessage,
  ChangedMember,
  ContactChangeEvent,
  CreatePartyEvent,
  CreateUserEvent,
  DeletePartyEvent,
  DeleteUserEvent,
  EnterAgentEvent,
  ImageMessage,
  LinkMessage,
  LocationEvent,
  LocationMessage,
  MenuClickEvent,
  MenuViewEvent,
  SelectedItem,
  SubscribeEvent,
  TemplateCardEvent,
  TextMessage,
  UnknownEvent,
  UnsubscribeEvent,
  UpdatePartyEvent,
  UpdateTagEvent,
  UpdateUserEvent,
  VideoMessage,
  VoiceMessage,
} from './callback-event-types.ts';
export { deliveryKey, sharedEntriesDedup } from './callback-dedup.ts';
export type { DeliveryClaim, DeliveryClaimed, DeliveryDedup, DeliveryKeyInput, SharedEntriesDedupOptions } from './callback-dedup.ts';
export { CallbackDispatcher } from './callback-dispatch.ts';
export type {
  CallbackAnswer,
  CallbackDispatcherOptions,
  CallbackHandler,
  DispatchableDelivery,
  DispatchOutcome,
  DispatchResult,
  HandlerContext,
} from './callback-dispatch.ts';
export { openDelivery, sealReplyBody, verifyUrl } from './callback-delivery.ts';
export type { CallbackQuery, CallbackRequest, DeliveryOptions, OpenedDelivery, UrlVerificationAnswer } from './callback-delivery.ts';
export { generateEncodingAESKey, messageXml, openReply, signDelivery, urlVerificationRequest } from './callback-testing.ts';
export type { SignedDelivery, SignOptions, TestCallbackApp, UrlVerificationRequest, XmlInput } from './callback-testing.ts';
