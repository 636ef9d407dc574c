/**
 * `express-wecom-auth/testing`: what an app needs to test its own callback handlers the way
 * WeCom calls them (docs/callbacks.md, "Testing your handlers"): a delivery signed and encrypted
 * with the app's Token and EncodingAESKey, the console's URL check, a passive reply opened.
 */
export { signDelivery, urlVerificationRequest, openReply, messageXml, generateEncodingAESKey } from './wecom/callback-testing.ts';
export type { TestCallbackApp, SignOptions, SignedDelivery, UrlVerificationRequest, XmlInput } from './wecom/callback-testing.ts';
