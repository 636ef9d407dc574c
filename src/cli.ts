#!/usr/bin/env node
// express-wecom-auth link: print the links to paste into the WeCom admin console (app homepage,
// custom-menu item, message-card URL) for a page of an app that uses express-wecom-auth.
// send-card, menu and homepage set those entry points through WeCom's API (cli-entry-points.ts).
// Exit codes: 0 done, 2 bad usage.
import { parseArgs } from 'node:util';
import { ENTRY_POINT_USAGE, runEntryPointCommand } from './cli-entry-points.ts';
import { CALLBACK_CHECK_USAGE, runCallbackCheck } from './cli-callback-check.ts';
import { buildEntryLinks } from './express/entry-links.ts';

const USAGE = `Usage: express-wecom-auth link --corp-id ID --agent-id N --url URL [options]
       express-wecom-auth send-card | menu | homepage ... (see below)
${CALLBACK_CHECK_USAGE}

Prints the links to paste as an app homepage (应用主页), a custom-menu item (自定义菜单)
or a message-card URL for the page at URL.

  --corp-id ID          the corporation ID (企业ID, "ww…")
  --agent-id N          the app's AgentId
  --url URL             the page, e.g. https://app.example.com/orders?tab=open
  --callback-path PATH  the middleware's callback route (default /auth/wecom/callback)
  --scope SCOPE         snsapi_base (default) or snsapi_privateinfo
  --json                print JSON instead of text
  --help                show this help

${ENTRY_POINT_USAGE}`;

function fail(message: string): never {
  console.error(`express-wecom-auth: ${message} (try --help)`);
  process.exit(2);
}

function main(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === undefined) {
    console.log(USAGE);
    process.exit(command === undefined ? 2 : 0);
  }
  if (command === 'send-card' || command === 'menu' || command === 'homepage') {
    void runEntryPointCommand(command, rest).then((code) => {
      process.exitCode = code;
    });
    return;
  }
  if (command === 'callback' && rest[0] === 'check') {
    void runCallbackCheck(rest.slice(1)).then((code) => {
      process.exitCode = code;
    });
    return;
  }
  if (command !== 'link') fail(`unknown command "${command}"`);
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        'corp-id': { type: 'string' },
        'agent-id': { type: 'string' },
        url: { type: 'string' },
        'callback-path': { type: 'string' },
        scope: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const corpId = values['corp-id'] ?? fail('--corp-id is required');
  const agentIdText = values['agent-id'] ?? fail('--agent-id is required');
  if (!/^\d+$/.test(agentIdText) || Number(agentIdText) <= 0) fail('--agent-id must be a positive whole number such as 1000002');
  const pageUrl = values.url ?? fail('--url is required');
  let page: URL;
  try {
    page = new URL(pageUrl);
  } catch {
    fail(`--url must be an absolute URL such as https://app.example.com/orders, got "${pageUrl}"`);
  }
  if (page.protocol !== 'https:' && page.protocol !== 'http:') fail('--url must be an http(s) URL');
  const scope = values.scope ?? 'snsapi_base';
  if (scope !== 'snsapi_base' && scope !== 'snsapi_privateinfo') fail('--scope must be snsapi_base or snsapi_privateinfo');

  let links;
  try {
    links = buildEntryLinks({
      corpId,
      agentId: Number(agentIdText),
      baseUrl: page.origin,
      // A hash route (a single-page app's `#/orders/7`) is part of the link: the login keeps it.
      path: page.pathname + page.search + page.hash,
      scope,
      ...(values['callback-path'] ? { callbackPath: values['callback-path'] } : {}),
    });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }

  if (values.json) {
    console.log(
      JSON.stringify(
        {
          ...links,
          customMenuButton: { type: 'view', name: '打开应用', url: links.appUrl },
          textcard: { title: '标题', description: '描述', url: links.appUrl, btntxt: '详情' },
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(`Links for ${links.appUrl}

App homepage (应用主页), custom-menu item (自定义菜单, type "view") or message-card URL
(textcard.url / news.articles[].url): paste the plain app URL. The middleware's guard
starts the WeCom login and returns to exactly this page.

  ${links.appUrl}

Pre-built authorize URL (the same places; WeCom attaches the identity on the first hop).
Its fixed state "entry" is never trusted: the middleware starts one fresh login and lands on
the page above. The host of --url must be a trusted domain (可信域名) of the app.

  ${links.authorizeUrl}

Custom-menu button (menu/create):
  ${JSON.stringify({ type: 'view', name: '打开应用', url: links.appUrl })}`);
}

main(process.argv.slice(2));
