// The app's custom menu (自定义菜单): menu/create, menu/get, menu/delete.
// https://developer.work.weixin.qq.com/document/path/90231 (create), .../90232 (get), .../90233 (delete);
// errcodes from https://developer.work.weixin.qq.com/document/path/90313.
import { byteLength, fail, jsonBody, ok, ownAgent, param } from './handler.ts';
import type { ApiAnswer, ApiRequest, Caller, Handler } from './handler.ts';
import type { FixtureMenuButton } from './types.ts';

export const MENU_TYPES: readonly string[] = [
  'click',
  'view',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'view_miniprogram',
];

/** The limits of 90231: 1-3 buttons, 1-5 sub-buttons, names 16 / 40 bytes, key 128 bytes, url 1024 bytes. */
export const MENU_LIMITS = { buttons: 3, subButtons: 5, nameBytes: 16, subNameBytes: 40, keyBytes: 128, urlBytes: 1024 } as const;

/** The errcode for each mistake, top level first, sub-button second (90313: 40016-40027, 40054/40055). */
const CODES = {
  count: [40016, 40023],
  type: [40017, 40024],
  name: [40018, 40025],
  key: [40019, 40026],
  url: [40020, 40027],
  urlDomain: [40055, 40054],
} as const;

export interface MenuProblem {
  errcode: number;
  /** Where, e.g. `button[1].sub_button[0].url`. */
  at: string;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkButton(raw: unknown, at: string, level: 0 | 1): FixtureMenuButton | MenuProblem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { errcode: CODES.type[level], at };
  const b = raw as Record<string, unknown>;
  const name = b['name'];
  if (typeof name !== 'string' || name === '' || byteLength(name) > (level === 0 ? MENU_LIMITS.nameBytes : MENU_LIMITS.subNameBytes)) {
    return { errcode: CODES.name[level], at: `${at}.name` };
  }
  if (b['sub_button'] !== undefined) {
    // Two levels only: a sub-button with sub-buttons of its own is 40022.
    if (level === 1) return { errcode: 40022, at: `${at}.sub_button` };
    const subs = b['sub_button'];
    if (!Array.isArray(subs) || subs.length < 1 || subs.length > MENU_LIMITS.subButtons)
      return { errcode: CODES.count[1], at: `${at}.sub_button` };
    const checked: FixtureMenuButton[] = [];
    for (const [i, sub] of subs.entries()) {
      const result = checkButton(sub, `${at}.sub_button[${i}]`, 1);
      if ('errcode' in result) return result;
      checked.push(result);
    }
    return { name, sub_button: checked };
  }
  const type = b['type'];
  if (typeof type !== 'string' || !MENU_TYPES.includes(type)) return { errcode: CODES.type[level], at: `${at}.type` };
  const button: FixtureMenuButton = { type, name };
  if (type === 'view') {
    const url = b['url'];
    if (typeof url !== 'string' || url === '' || byteLength(url) > MENU_LIMITS.urlBytes)
      return { errcode: CODES.url[level], at: `${at}.url` };
    if (!isHttpUrl(url)) return { errcode: CODES.urlDomain[level], at: `${at}.url` };
    button.url = url;
  } else if (type === 'view_miniprogram') {
    // A bound mini program: appid and pagepath are required [errcode assumed: the type's].
    const appid = b['appid'];
    const pagepath = b['pagepath'];
    if (typeof appid !== 'string' || appid === '' || typeof pagepath !== 'string' || pagepath === '')
      return { errcode: CODES.type[level], at };
    button.appid = appid;
    button.pagepath = pagepath;
  } else {
    const key = b['key'];
    if (typeof key !== 'string' || key === '' || byteLength(key) > MENU_LIMITS.keyBytes)
      return { errcode: CODES.key[level], at: `${at}.key` };
    button.key = key;
  }
  return button;
}

/** The menu/create body's `button` list checked as WeCom checks it; the first problem wins. */
export function checkMenu(buttons: unknown): FixtureMenuButton[] | MenuProblem {
  if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > MENU_LIMITS.buttons)
    return { errcode: CODES.count[0], at: 'button' };
  const checked: FixtureMenuButton[] = [];
  for (const [i, raw] of buttons.entries()) {
    const result = checkButton(raw, `button[${i}]`, 0);
    if ('errcode' in result) return result;
    checked.push(result);
  }
  return checked;
}

/** agentid comes in the query string for all three menu APIs. */
function agentCheck(req: ApiRequest, caller: Caller): ApiAnswer | undefined {
  return ownAgent(param(req, 'agentid'), caller);
}

// POST menu/create?agentid=N {"button":[...]}: replaces the whole menu.
export const menuCreate: Handler = (_state, req, caller) => {
  const refused = agentCheck(req, caller);
  if (refused) return refused;
  const read = jsonBody(req);
  if ('refused' in read) return read.refused;
  const menu = checkMenu(read.body['button']);
  if ('errcode' in menu) return fail(menu.errcode);
  caller.app.menu = menu;
  return ok({});
};

// GET menu/get?agentid=N: the stored menu, or 46003 when there is none.
export const menuGet: Handler = (_state, req, caller) => {
  const refused = agentCheck(req, caller);
  if (refused) return refused;
  const menu = caller.app.menu;
  if (menu === undefined) return fail(46003);
  return ok({ button: structuredClone(menu) });
};

// GET menu/delete?agentid=N: ok whether or not there was a menu.
export const menuDelete: Handler = (_state, req, caller) => {
  const refused = agentCheck(req, caller);
  if (refused) return refused;
  delete caller.app.menu;
  return ok({});
};
