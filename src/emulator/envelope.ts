// WeCom's answer envelope (docs/wecom-api.md §8, docs/emulator.md item 17): HTTP 200,
// `application/json; charset=UTF-8`, `Error-Code`/`Error-Msg` headers, and an errmsg that carries
// a hint id, the caller's IP and a link to WeCom's error tool.
import { randomBytes } from 'node:crypto';

/** errmsg texts: real captures where docs/wecom-api.md §8 has one, otherwise a plausible text. */
const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system busy',
  0: 'ok',
  40001: 'invalid credential',
  40002: 'invalid grant_type',
  40008: 'invalid message type',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40016: 'invalid button size',
  40017: 'invalid button type',
  40018: 'invalid button name size',
  40019: 'invalid button key size',
  40020: 'invalid button url size',
  40022: 'invalid sub button level',
  40023: 'invalid sub button size',
  40024: 'invalid sub button type',
  40025: 'invalid sub button name size',
  40026: 'invalid sub button key size',
  40027: 'invalid sub button url size',
  40029: 'invalid code',
  40032: 'invalid user list size',
  40054: 'invalid sub button url domain',
  40055: 'invalid button url domain',
  40056: 'invalid agentid',
  40058: 'invalid type',
  40074: 'news message not support safe',
  40094: 'invalid url',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41008: 'missing code',
  41009: 'missing userid',
  41010: 'missing url',
  41011: 'missing agentid',
  41016: 'missing title',
  41033: 'missing description',
  42001: 'access_token expired',
  42045: 'invalid card_action type',
  43002: 'require POST method',
  44004: 'empty content',
  45004: 'invalid description size',
  45008: 'article size out of limit',
  45009: 'api freq out of limit',
  45022: 'invalid name size',
  45033: 'api concurrent out of limit',
  46003: 'menu no exist',
  47001: 'data format error',
  48002: 'api forbidden',
  50001: 'redirect_uri unauthorized',
  50002: 'user not in permission range',
  50003: 'application is disabled',
  60011: 'no privilege to access/modify contact/party/agent',
  60020: 'not allow to access from your ip',
  60111: 'userid not found',
  81013: 'user & party & tag all invalid',
  82002: 'invalid party list size',
  82003: 'invalid tag list size',
  84015: 'invalid user_ticket',
  84090: 'user_ticket missing',
  85005: 'redirect domain not verified',
  92002: 'not allow to cross corp',
  301002: 'not allow operate another agent with this accesstoken.',
};

export function errmsgText(errcode: number): string {
  return ERRMSG[errcode] ?? 'emulated error';
}

let hintCounter = 0;

/** `<text>, hint: [<id>], from ip: <ip>, more info at https://open.work.weixin.qq.com/devtool/query?e=<N>` */
export function errmsgFor(errcode: number, ip: string, nowMs: number, text?: string): string {
  if (errcode === 0) return 'ok';
  hintCounter = (hintCounter + 1) % 100000;
  const hint = `${Math.floor(nowMs / 1000)}_${hintCounter}_${randomBytes(16).toString('hex')}`;
  return `${text ?? errmsgText(errcode)}, hint: [${hint}], from ip: ${ip}, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`;
}
