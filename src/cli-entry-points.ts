/**
 * `express-wecom-auth send-card | menu | homepage`: put an app in front of employees the three
 * ways WeCom offers (a message card, the custom menu, the workbench homepage), from the shell.
 *
 * Settings come from the same environment variables as the demo (src/demo/main.ts): by default
 * the local emulator that `npm start` or `npm run emulator` runs on 127.0.0.1:3001 with the demo
 * corp; WECOM_EMULATOR=0 plus WECOM_CORP_ID, WECOM_AGENT_ID and WECOM_SECRET for a real
 * corporation. A relative --url is resolved against the app's PUBLIC_URL.
 *
 * Exit codes: 0 done, 1 WeCom refused or could not be reached, 2 bad usage or a message WeCom
 * would refuse (nothing was sent), 3 sent but some recipients were refused.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsOptionsConfig } from 'node:util';
import { WeComClient } from './wecom/client.ts';
import { WeComApiError, WeComHttpError, describeWeComError } from './wecom/errors.ts';
import type { MenuButton, MenuItem } from './wecom/menu.ts';
import type { SendMessageInput, SendMessageResult } from './wecom/messages.ts';
import { WeComRecipientsError } from './wecom/messages.ts';
import { WeComRequestError } from './wecom/request-error.ts';

export const ENTRY_POINT_USAGE = `express-wecom-auth send-card --to USERID --title TEXT --description TEXT --url URL [options]
  Sends an app message that opens URL (a path is resolved against PUBLIC_URL).
    --to USERID          a recipient's userid; repeat it, join with "|", or "@all"
    --to-party ID        a department id (repeatable)
    --to-tag ID          a tag id (repeatable)
    --title TEXT         at most 128 bytes (about 42 Chinese characters)
    --description TEXT   at most 512 bytes; textcard takes <div class="gray|normal|highlight">
    --url URL            the page the card opens, e.g. /orders/42?tab=items
    --button TEXT        the card's button, at most 4 characters (default 详情)
    --type TYPE          textcard (default), news or template_card
    --truncate           cut over-long text at a character boundary instead of refusing it
    --json               print WeCom's answer as JSON

express-wecom-auth menu set --item "NAME=URL" [--item "GROUP>NAME=URL" ...] | --file menu.json
express-wecom-auth menu get | menu delete
  The app's custom menu (自定义菜单): up to 3 buttons, each a link or a group of up to 5.

express-wecom-auth homepage set --url URL | homepage get
  The app's homepage (应用主页), what the workbench opens.

Environment (as for the demo): WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, PUBLIC_URL (default
http://localhost:3000); the emulator at http://127.0.0.1:\${EMULATOR_PORT:-3001} unless
WECOM_API_BASE_URL is set or WECOM_EMULATOR=0 (the real WeCom).
Exit codes: 0 done, 1 WeCom refused or unreachable, 2 bad usage (nothing sent),
3 sent but some recipients refused.`;

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

interface Target {
  client: WeComClient;
  publicUrl: string;
  /** What the user sees: "the emulator at …" or "WeCom (…)". */
  label: string;
  emulator: boolean;
}

function target(env: NodeJS.ProcessEnv): Target {
  const real = env['WECOM_EMULATOR'] === '0';
  if (real) {
    const missing = ['WECOM_CORP_ID', 'WECOM_AGENT_ID', 'WECOM_SECRET'].filter((name) => !env[name]);
    if (missing.length) usage(`WECOM_EMULATOR=0 means a real corporation: set ${missing.join(', ')}`);
  }
  const port = env['PORT'] || '3000';
  const publicUrl = (env['PUBLIC_URL'] || `http://localhost:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    usage(`PUBLIC_URL must be the app's absolute http(s) URL, e.g. https://app.example.com, got "${publicUrl}"`);
  }
  const apiBaseUrl = env['WECOM_API_BASE_URL'] || (real ? undefined : `http://127.0.0.1:${env['EMULATOR_PORT'] || '3001'}`);
  const agentText = env['WECOM_AGENT_ID'] || '1000002';
  if (!/^\d{1,16}$/.test(agentText) || Number(agentText) <= 0)
    usage(`WECOM_AGENT_ID must be the app's AgentId, a positive whole number, got "${agentText}"`);
  let client: WeComClient;
  try {
    client = new WeComClient({
      corpId: env['WECOM_CORP_ID'] || 'wwdemocorp0000001',
      agentId: Number(agentText),
      secret: env['WECOM_SECRET'] || 'demo-secret',
      ...(apiBaseUrl ? { apiBaseUrl } : {}),
    });
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const emulator = !real && !env['WECOM_API_BASE_URL'];
  return { client, publicUrl, emulator, label: emulator ? `the emulator at ${client.apiBaseUrl}` : `WeCom at ${client.apiBaseUrl}` };
}

/** An absolute http(s) URL, or a path on the app's PUBLIC_URL. */
export function resolveAppUrl(value: string, publicUrl: string, option: string): string {
  if (value.startsWith('/') && !value.startsWith('//')) return new URL(value, `${publicUrl}/`).href;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    usage(`${option} must be a path such as /orders/42 or an absolute http(s) URL, got "${value}"`);
  }
  return url.href;
}

function parse(args: string[], options: ParseArgsOptionsConfig): Record<string, unknown> {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [];
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') usage(`--${name} is required`);
  return value;
}

type Out = { log: (line: string) => void; error: (line: string) => void };

function reportRefused(result: SendMessageResult, out: Out): boolean {
  const refused = [
    result.invalidUsers.length ? `users ${result.invalidUsers.join(', ')} (unknown, or outside the app's visible range)` : '',
    result.invalidParties.length ? `departments ${result.invalidParties.join(', ')}` : '',
    result.invalidTags.length ? `tags ${result.invalidTags.join(', ')}` : '',
    result.unlicensedUsers.length ? `unlicensed users ${result.unlicensedUsers.join(', ')}` : '',
  ].filter((s) => s !== '');
  for (const line of refused) out.error(`express-wecom-auth: not delivered to ${line}`);
  return refused.length > 0;
}

async function sendCard(args: string[], t: Target, out: Out): Promise<number> {
  const values = parse(args, {
    to: { type: 'string', multiple: true },
    'to-party': { type: 'string', multiple: true },
    'to-tag': { type: 'string', multiple: true },
    title: { type: 'string' },
    description: { type: 'string' },
    url: { type: 'string' },
    button: { type: 'string' },
    type: { type: 'string' },
    truncate: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const to = strings(values['to'])
    .flatMap((v) => v.split(/[|,]/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const parties = strings(values['to-party'])
    .flatMap((v) => v.split(/[|,]/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const tags = strings(values['to-tag'])
    .flatMap((v) => v.split(/[|,]/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (to.length + parties.length + tags.length === 0) usage('name a recipient: --to USERID (or --to-party ID, --to-tag ID)');
  const title = required(values, 'title');
  const description = required(values, 'description');
  const url = resolveAppUrl(required(values, 'url'), t.publicUrl, '--url');
  const type = typeof values['type'] === 'string' ? values['type'] : 'textcard';
  const button = typeof values['button'] === 'string' ? values['button'] : undefined;
  const recipients = {
    ...(to.length ? { toUser: to.includes('@all') ? '@all' : to } : {}),
    ...(parties.length ? { toParty: parties } : {}),
    ...(tags.length ? { toTag: tags } : {}),
  };
  const onTooLong = values['truncate'] === true ? ('truncate' as const) : ('error' as const);
  let input: SendMessageInput;
  if (type === 'textcard') {
    input = { ...recipients, msgtype: 'textcard', textcard: { title, description, url, ...(button ? { btntxt: button } : {}) }, onTooLong };
  } else if (type === 'news') {
    input = { ...recipients, msgtype: 'news', news: { articles: [{ title, description, url }] }, onTooLong };
  } else if (type === 'template_card') {
    input = {
      ...recipients,
      msgtype: 'template_card',
      template_card: { card_type: 'text_notice', main_title: { title }, sub_title_text: description, card_action: { type: 1, url } },
      onTooLong,
    };
  } else {
    usage(`--type must be textcard, news or template_card, got "${type}"`);
  }
  const result = await t.client.sendMessage(input);
  if (values['json'] === true) out.log(JSON.stringify(result, null, 2));
  else {
    out.log(`Sent a ${type} (msgid ${result.msgid ?? '-'}) through ${t.label}.`);
    out.log(`  It opens ${url}`);
    for (const cut of result.truncated) out.log(`  ${cut.field} was cut from ${cut.length} to ${cut.limit} ${cut.unit}`);
    if (t.emulator)
      out.log(`  See it in the emulator's WeCom client: ${t.client.apiBaseUrl}/client?user=${encodeURIComponent(to[0] ?? '')}`);
  }
  return reportRefused(result, out) ? 3 : 0;
}

/** --item "NAME=URL" or "GROUP>NAME=URL", in order; groups open where they first appear. */
export function menuFromItems(items: readonly string[], publicUrl: string): MenuItem[] {
  const menu: MenuItem[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) usage(`--item must look like "NAME=URL" or "GROUP>NAME=URL", got "${item}"`);
    const label = item.slice(0, eq).trim();
    const button: MenuButton = { type: 'view', name: '', url: resolveAppUrl(item.slice(eq + 1).trim(), publicUrl, '--item') };
    const gt = label.indexOf('>');
    if (gt === -1) {
      menu.push({ ...button, name: label });
      continue;
    }
    const groupName = label.slice(0, gt).trim();
    const name = label.slice(gt + 1).trim();
    if (groupName === '' || name === '') usage(`--item "${item}": both the group and the button need a name`);
    let group = menu.find((m): m is Extract<MenuItem, { sub_button: MenuButton[] }> => 'sub_button' in m && m.name === groupName);
    if (!group) {
      group = { name: groupName, sub_button: [] };
      menu.push(group);
    }
    group.sub_button.push({ ...button, name });
  }
  return menu;
}

/** A menu file: WeCom's `{"button": [...]}` or the list itself; view URLs may be paths on PUBLIC_URL. */
function menuFromFile(file: string, publicUrl: string): MenuItem[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    usage(`--file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const list = Array.isArray(json) ? json : typeof json === 'object' && json !== null ? (json as { button?: unknown }).button : undefined;
  if (!Array.isArray(list)) usage(`--file ${file} must hold {"button": [...]} or a list of buttons`);
  const fix = (b: unknown): unknown => {
    if (typeof b !== 'object' || b === null) return b;
    const o = { ...(b as Record<string, unknown>) };
    if (o['type'] === 'view' && typeof o['url'] === 'string') o['url'] = resolveAppUrl(o['url'], publicUrl, `--file ${file}`);
    if (Array.isArray(o['sub_button'])) o['sub_button'] = o['sub_button'].map(fix);
    return o;
  };
  return list.map(fix) as MenuItem[];
}

function describeMenu(menu: readonly MenuItem[]): string[] {
  return menu.flatMap((item) =>
    'sub_button' in item
      ? [`  ${item.name}`, ...item.sub_button.map((b) => `    ${b.name}${b.type === 'view' ? ` → ${b.url}` : ` (${b.type})`}`)]
      : [`  ${item.name}${item.type === 'view' ? ` → ${item.url}` : ` (${item.type})`}`],
  );
}

async function menuCommand(args: string[], t: Target, out: Out): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'get') {
    const values = parse(rest, { json: { type: 'boolean' } });
    const menu = await t.client.getMenu();
    if (values['json'] === true) out.log(JSON.stringify(menu === undefined ? null : { button: menu }, null, 2));
    else if (menu === undefined) out.log(`The app has no custom menu (${t.label}).`);
    else out.log([`The app's custom menu (${t.label}):`, ...describeMenu(menu)].join('\n'));
    return 0;
  }
  if (action === 'delete') {
    parse(rest, {});
    await t.client.deleteMenu();
    out.log(`Deleted the app's custom menu (${t.label}).`);
    return 0;
  }
  if (action === 'set') {
    const values = parse(rest, { item: { type: 'string', multiple: true }, file: { type: 'string' } });
    const items = strings(values['item']);
    const file = typeof values['file'] === 'string' ? values['file'] : undefined;
    if ((items.length === 0) === (file === undefined)) usage('menu set takes --item "NAME=URL" (repeatable) or --file menu.json');
    const menu = file === undefined ? menuFromItems(items, t.publicUrl) : menuFromFile(file, t.publicUrl);
    await t.client.createMenu(menu);
    out.log([`Set the app's custom menu (${t.label}):`, ...describeMenu(menu)].join('\n'));
    return 0;
  }
  usage(`menu takes set, get or delete, got ${action === undefined ? 'nothing' : `"${action}"`}`);
}

async function homepageCommand(args: string[], t: Target, out: Out): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'get') {
    parse(rest, {});
    const agent = await t.client.getAgent();
    out.log(agent.homeUrl ? agent.homeUrl : `The app has no homepage (${t.label}).`);
    return 0;
  }
  if (action === 'set') {
    const values = parse(rest, { url: { type: 'string' } });
    const url = resolveAppUrl(required(values, 'url'), t.publicUrl, '--url');
    await t.client.setAgent({ homeUrl: url });
    out.log(`Set the app's homepage to ${url} (${t.label}).`);
    return 0;
  }
  usage(`homepage takes set or get, got ${action === undefined ? 'nothing' : `"${action}"`}`);
}

/** Runs one of the commands; resolves with the exit code. Never throws. */
export async function runEntryPointCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: Out = console,
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    out.log(ENTRY_POINT_USAGE);
    return 0;
  }
  let t: Target | undefined;
  try {
    t = target(env);
    if (command === 'send-card') return await sendCard(args, t, out);
    if (command === 'menu') return await menuCommand(args, t, out);
    return await homepageCommand(args, t, out);
  } catch (err) {
    if (err instanceof UsageError) {
      out.error(`express-wecom-auth: ${err.message} (try --help)`);
      return 2;
    }
    if (err instanceof WeComRequestError) {
      // Refused before the call: nothing was sent.
      out.error(`express-wecom-auth: nothing sent: ${err.message}`);
      return 2;
    }
    if (err instanceof WeComRecipientsError) {
      out.error(`express-wecom-auth: ${err.message}`);
      return 1;
    }
    if (err instanceof WeComHttpError && (err.kind === 'network' || err.kind === 'timeout') && t?.emulator) {
      out.error(
        `express-wecom-auth: cannot reach ${t.label}: start it with "npm start" (the demo and the emulator) or "npm run emulator", ` +
          'or set WECOM_API_BASE_URL, or WECOM_EMULATOR=0 with WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET for a real corporation.',
      );
      return 1;
    }
    if (err instanceof WeComApiError || err instanceof WeComHttpError) {
      out.error(`express-wecom-auth: ${err.message}\n  ${describeWeComError(err).hint}`);
      return 1;
    }
    out.error(`express-wecom-auth: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    t?.client.close();
  }
}
