#!/usr/bin/env node
// wecom-emulator: run the local WeCom on a port so an app (or a person with a browser) can log in
// without a real corporation. Exit codes: 0 on a clean stop, 1 if it cannot listen, 2 for bad usage.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFixture } from './fixture.ts';
import { parseAllowedHosts } from './hosts.ts';
import { startEmulator } from './emulator.ts';
import type { EmulatorFixture } from './types.ts';

const USAGE = `Usage: wecom-emulator [--port 3001] [--host 127.0.0.1] [--allow-host NAME]... [--config fixture.json] [--strict]
                     [--repeat-expires-in full|remaining]

A local WeCom (企业微信) for development and tests.
  --port N         port to listen on (default 3001; 0 = any free port)
  --host H         address to bind (default 127.0.0.1)
  --allow-host N   answer requests for Host N too (repeatable): "emu.test" (any port), "emu.test:8443",
                   ".test" (it and its subdomains), "192.168.1.5". Without it only 127.0.0.1, localhost,
                   [::1] and --host, with the port, are answered (others get 421: DNS rebinding)
  --config FILE    a fixture JSON file ({"corps":[...]}); default: the demo corp
  --strict         desktop browsers get WeCom's "open in WeCom" page instead of a member picker
  --repeat-expires-in full|remaining
                   expires_in of gettoken/tickets fetched again while valid: 7200 (full, default)
                   or the seconds left (remaining)
  --help           show this help`;

function usageError(message: string): never {
  console.error(`wecom-emulator: ${message} (try --help)`);
  process.exit(2);
}

interface Args {
  port: number;
  host: string;
  allowedHosts: string[];
  config: string | undefined;
  strict: boolean;
  repeatExpiresIn: 'full' | 'remaining';
}

function parse(): Args {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'allow-host': { type: 'string', multiple: true },
        config: { type: 'string' },
        strict: { type: 'boolean' },
        'repeat-expires-in': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const portText = values.port ?? '3001';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) usageError(`--port must be a number 0-65535, got "${portText}"`);
  const repeat = values['repeat-expires-in'] ?? 'full';
  if (repeat !== 'full' && repeat !== 'remaining') usageError(`--repeat-expires-in must be "full" or "remaining", got "${repeat}"`);
  return {
    port: Number(portText),
    host: values.host ?? '127.0.0.1',
    allowedHosts: values['allow-host'] ?? [],
    config: values.config,
    strict: values.strict ?? false,
    repeatExpiresIn: repeat,
  };
}

function loadFixture(file: string): EmulatorFixture {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    usageError(`cannot read --config ${file}: ${code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    usageError(`--config ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseFixture(json);
  } catch (err) {
    usageError(`--config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function main(): Promise<void> {
  const args = parse();
  const fixture = args.config === undefined ? undefined : loadFixture(args.config);
  try {
    parseAllowedHosts(args.allowedHosts);
  } catch (err) {
    usageError((err instanceof Error ? err.message : String(err)).replace(/^startEmulator: allowedHosts\[\d+\]/, '--allow-host'));
  }
  let emulator;
  try {
    emulator = await startEmulator({
      port: args.port,
      host: args.host,
      allowedHosts: args.allowedHosts,
      strict: args.strict,
      repeatExpiresIn: args.repeatExpiresIn,
      ...(fixture ? { fixture } : {}),
    });
  } catch (err) {
    console.error(`wecom-emulator: cannot listen on ${args.host}:${args.port}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  console.log(`WeCom emulator listening on ${emulator.url}${args.strict ? ' (strict)' : ''}`);
  if (args.allowedHosts.length) console.log(`  also answers Host: ${args.allowedHosts.join(', ')}`);
  // The secrets are not printed (terminal output ends up in CI logs, and a fixture may hold a real
  // one): the banner says where they are.
  const secrets = args.config === undefined ? "the default fixture's, in docs/emulator.md" : `in ${args.config}`;
  for (const corp of emulator.fixture.corps) {
    for (const app of corp.apps) {
      console.log(`  corpId=${corp.corpId} agentId=${app.agentId}  ${corp.name} / ${app.name}  (secret: ${secrets})`);
      console.log(`    trusted domains: ${app.trustedDomains.join(', ') || '(none)'}`);
    }
  }
  console.log(`  WeCom client of a member (workbench, custom menu, messages): ${emulator.url}/client`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
