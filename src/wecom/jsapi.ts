/**
 * JS-SDK signatures (docs/wecom-api.md §7): lowercase hex SHA-1 of
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, raw values (no URL-encoding), keys lowercase in
 * that fixed (ASCII) order, the url without its `#fragment`. The same algorithm signs `wx.config`
 * (corp ticket) and `wx.agentConfig` (agent_config ticket).
 */
import { createHash, randomInt } from 'node:crypto';

export interface JsapiSignatureInput {
  ticket: string;
  nonceStr: string;
  /** Seconds since the epoch. */
  timestamp: number | string;
  /** The full URL of the page calling the JS-SDK; anything from `#` on is dropped. */
  url: string;
}

/** Parameters for `wx.config` / `ww.register`'s getConfigSignature. */
export interface JsapiConfig {
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

/** Parameters for `wx.agentConfig` / `ww.register`'s getAgentConfigSignature. */
export interface AgentConfig {
  corpid: string;
  agentid: number;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

export function jsapiSignature(input: JsapiSignatureInput): string {
  const hash = input.url.indexOf('#');
  const url = hash === -1 ? input.url : input.url.slice(0, hash);
  const plain = `jsapi_ticket=${input.ticket}&noncestr=${input.nonceStr}&timestamp=${String(input.timestamp)}&url=${url}`;
  return createHash('sha1').update(plain, 'utf8').digest('hex');
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random `[A-Za-z0-9]{length}` nonce (crypto RNG). */
export function randomNonce(length = 16): string {
  let out = '';
  for (let i = 0; i < length; i++) out += NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)];
  return out;
}
