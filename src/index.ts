/**
 * express-wecom-auth: log WeCom (企业微信) employees into Express apps.
 * The public API: the middleware factory, the WeCom client, the token cache interface, errors.
 */
export { wecomAuth } from './wecom-auth.ts';
export type { WeComAuth } from './wecom-auth.ts';
export { resolveConfig, WeComAuthConfigError } from './config.ts';
export type { WeComAuthOptions, WeComAuthRoutes, WeComAuthHooks, Scope, IdentityEndpoint } from './config.ts';
export { buildEntryLinks } from './express/entry-links.ts';
export type { EntryLinkOptions, EntryLinks } from './express/entry-links.ts';
export { isSessionStoreUnavailable } from './express/error-handler.ts';
export { SessionUnavailableError } from './express/session.ts';
export type { WeComUser } from './express/session.ts';
export type { LoginTransaction } from './express/transactions.ts';
export { WeComLoginError } from './express/login-error.ts';
export type { LoginFailureReason, LoginFailure } from './express/login-error.ts';
export { channels } from './diagnostics.ts';
export type { ChannelName, LoginStartedEvent, LoginSucceededEvent, LoginFailedEvent, WeComCallEvent, CredentialEvent } from './diagnostics.ts';
export type { PageContext, PageId, PageRenderer, Lang } from './express/views.ts';
export { safeReturnTo } from './express/return-to.ts';
export { createMiniProgramLogin, bearerSession, sessionToken, miniProgramSessionKey } from './express/miniprogram.ts';
export type { MiniProgramLoginOptions, MiniProgramLoginResponse, MiniProgramUser, BearerSessionOptions } from './express/miniprogram.ts';
export { createJsapiConfigHandler, checkPageUrl } from './express/jssdk.ts';
export type { JsapiConfigHandlerOptions, JsapiConfigType } from './express/jssdk.ts';
export { DEFAULT_PROFILE_FIELDS } from './config.ts';
export * from './wecom/index.ts';
