/**
 * The app's custom menu (自定义菜单): menu/create, menu/get, menu/delete.
 *
 * - https://developer.work.weixin.qq.com/document/path/90231 (create: 1-3 buttons, 1-5 sub-buttons,
 *   names 16 / 40 bytes, key 128 bytes, url 1,024 bytes)
 * - https://developer.work.weixin.qq.com/document/path/90232 (get), .../90233 (delete)
 * - https://developer.work.weixin.qq.com/document/path/90313 (errcodes 40016-40027, 40054/40055, 46003)
 *
 * A menu over WeCom's limits is refused before the call with a WeComRequestError naming the button
 * and the errcode WeCom would answer. The calls are safe to repeat (create replaces the whole menu).
 */
import { requireAgentId } from './api-call.ts';
import type { ApiCall } from './api-call.ts';
import { WeComHttpError } from './errors.ts';
import { WeComRequestError } from './request-error.ts';

export type MenuKeyType =
  'click' | 'scancode_push' | 'scancode_waitmsg' | 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin' | 'location_select';

/** A button that does something: opens a page (view), a mini program, or sends an event with a key. */
export type MenuButton =
  | { type: 'view'; name: string; url: string }
  | { type: 'view_miniprogram'; name: string; appid: string; pagepath: string }
  | { type: MenuKeyType; name: string; key: string };

/** A top-level button that opens a list of 1-5 sub-buttons. */
export interface MenuGroup {
  name: string;
  sub_button: MenuButton[];
}

export type MenuItem = MenuButton | MenuGroup;

export const MENU_LIMITS = { buttons: 3, subButtons: 5, nameBytes: 16, subNameBytes: 40, keyBytes: 128, urlBytes: 1024 } as const;

const KEY_TYPES: readonly string[] = [
  'click',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
];

/** Errcodes for [top level, sub-button] (90313). */
const CODES = {
  count: [40016, 40023],
  type: [40017, 40024],
  name: [40018, 40025],
  key: [40019, 40026],
  url: [40020, 40027],
  urlScheme: [40055, 40054],
} as const;

function refuse(field: string, problem: string, errcode?: number): never {
  throw new WeComRequestError('menu/create', field, problem, errcode);
}

function bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkButton(raw: unknown, at: string, level: 0 | 1): MenuItem {
  if (!isObject(raw)) refuse(at, 'must be a button object { type, name, ... }.', CODES.type[level]);
  const name = raw['name'];
  const nameLimit = level === 0 ? MENU_LIMITS.nameBytes : MENU_LIMITS.subNameBytes;
  if (typeof name !== 'string' || name.trim() === '') refuse(`${at}.name`, 'is required.', CODES.name[level]);
  if (bytes(name) > nameLimit) {
    refuse(
      `${at}.name`,
      `is ${bytes(name)} bytes; a ${level === 0 ? 'top-level' : 'sub-'}button name takes at most ${nameLimit} bytes (${Math.floor(nameLimit / 3)} Chinese characters).`,
      CODES.name[level],
    );
  }
  if (raw['sub_button'] !== undefined) {
    if (level === 1) refuse(`${at}.sub_button`, 'is not allowed: menus have two levels.', 40022);
    const subs = raw['sub_button'];
    if (!Array.isArray(subs) || subs.length < 1 || subs.length > MENU_LIMITS.subButtons) {
      refuse(`${at}.sub_button`, `must list 1 to 5 buttons, got ${Array.isArray(subs) ? subs.length : typeof subs}.`, CODES.count[1]);
    }
    return { name, sub_button: subs.map((sub: unknown, i) => checkButton(sub, `${at}.sub_button[${i}]`, 1) as MenuButton) };
  }
  const type = raw['type'];
  if (type === 'view') {
    const url = raw['url'];
    if (typeof url !== 'string' || url === '') refuse(`${at}.url`, 'is required for a view button: the page it opens.', CODES.url[level]);
    if (bytes(url) > MENU_LIMITS.urlBytes) refuse(`${at}.url`, `is ${bytes(url)} bytes; WeCom takes at most 1,024.`, CODES.url[level]);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      refuse(`${at}.url`, `must be an absolute http(s) URL, got ${JSON.stringify(url.slice(0, 80))}.`, CODES.urlScheme[level]);
    }
    return { type, name, url };
  }
  if (type === 'view_miniprogram') {
    const { appid, pagepath } = raw;
    if (typeof appid !== 'string' || appid === '' || typeof pagepath !== 'string' || pagepath === '') {
      refuse(at, 'needs appid (a mini program bound to the app) and pagepath.', CODES.type[level]);
    }
    return { type, name, appid, pagepath };
  }
  if (typeof type === 'string' && KEY_TYPES.includes(type)) {
    const key = raw['key'];
    if (typeof key !== 'string' || key === '' || bytes(key) > MENU_LIMITS.keyBytes)
      refuse(`${at}.key`, 'is required, at most 128 bytes.', CODES.key[level]);
    return { type: type as MenuKeyType, name, key };
  }
  return refuse(`${at}.type`, `must be view, view_miniprogram, ${KEY_TYPES.join(', ')}; got ${JSON.stringify(type)}.`, CODES.type[level]);
}

/** The menu/create body's `button` list, checked; a WeComRequestError for the first problem. No I/O. */
export function prepareMenu(buttons: readonly MenuItem[]): MenuItem[] {
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > MENU_LIMITS.buttons) {
    refuse(
      'button',
      `must list 1 to 3 top-level buttons, got ${Array.isArray(buttons) ? buttons.length : typeof buttons}.`,
      CODES.count[0],
    );
  }
  return buttons.map((raw: unknown, i) => checkButton(raw, `button[${i}]`, 0));
}

/** POST menu/create?agentid=N: replaces the app's whole menu. */
export async function createMenu(call: ApiCall, agentId: number | undefined, buttons: readonly MenuItem[]): Promise<void> {
  const agent = requireAgentId('createMenu', agentId);
  const button = prepareMenu(buttons);
  await call('menu/create', { method: 'POST', query: { agentid: String(agent) }, json: { button }, idempotent: true });
}

const NO_MENU = 46003;

/** GET menu/get?agentid=N: the app's menu, or `undefined` when it has none (46003). */
export async function getMenu(call: ApiCall, agentId: number | undefined): Promise<MenuItem[] | undefined> {
  const agent = requireAgentId('getMenu', agentId);
  const body = await call('menu/get', { method: 'GET', query: { agentid: String(agent) }, idempotent: true, answerErrcodes: [NO_MENU] });
  if (body['errcode'] === NO_MENU) return undefined;
  const button = body['button'];
  if (!Array.isArray(button)) throw new WeComHttpError('menu/get', 'unexpected-body', 'the answer has no button list');
  return button as MenuItem[];
}

/** GET menu/delete?agentid=N: removes the menu (fine when there is none). */
export async function deleteMenu(call: ApiCall, agentId: number | undefined): Promise<void> {
  const agent = requireAgentId('deleteMenu', agentId);
  await call('menu/delete', { method: 'GET', query: { agentid: String(agent) }, idempotent: true });
}
