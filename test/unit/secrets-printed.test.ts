/**
 * What `wecomAuth()` returns never prints a secret: not through util.inspect (console.log,
 * a REPL, an error reporter that dumps objects), JSON.stringify, nor a logger given the config.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import pino from 'pino';
import { wecomAuth } from '../../src/wecom-auth.ts';
import { derivedTransactionSecret } from '../../src/express/transactions.ts';

const APP_SECRET = 'app-secret-0123456789-do-not-print';
const SESSION_SECRET = 'session-secret-0123456789-do-not-print';
const TX_SECRETS = ['tx-key-new-0123456789-do-not-print', 'tx-key-old-0123456789-do-not-print'];

function apps() {
  const base = { corpId: 'wwdemocorp0000001', agentId: 1000002, secret: APP_SECRET, baseUrl: 'https://app.example.com' };
  return [
    { secrets: [APP_SECRET, derivedTransactionSecret(APP_SECRET)], wecom: wecomAuth(base) },
    {
      secrets: [APP_SECRET, SESSION_SECRET, ...TX_SECRETS],
      wecom: wecomAuth({
        ...base,
        transactionSecret: TX_SECRETS,
        miniProgram: { sessionSecret: [SESSION_SECRET, 'older-session-secret-x'] },
      }),
    },
  ];
}

function assertClean(text: string, secrets: readonly string[], how: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${how} prints a secret (${secret.slice(0, 10)}…)`);
}

describe('what wecomAuth() returns prints no secret', () => {
  it('util.inspect of the whole object and of its config, at any depth, with hidden properties', () => {
    for (const { wecom, secrets } of apps()) {
      try {
        for (const target of [wecom, wecom.config, wecom.client, wecom.config.miniProgram]) {
          assertClean(inspect(target, { depth: Infinity, showHidden: true, getters: true }), secrets, 'inspect');
          assertClean(inspect(target), secrets, 'inspect (defaults)');
        }
        assert.match(inspect(wecom.config), /corpId: 'wwdemocorp0000001'/, 'the rest of the config stays readable');
      } finally {
        wecom.close();
      }
    }
  });

  it('JSON.stringify of the object and its config', () => {
    for (const { wecom, secrets } of apps()) {
      try {
        assertClean(JSON.stringify(wecom), secrets, 'JSON.stringify(wecom)');
        assertClean(JSON.stringify(wecom.config), secrets, 'JSON.stringify(config)');
        assertClean(JSON.stringify({ config: wecom.config }), secrets, 'JSON.stringify nested');
        assert.equal(JSON.parse(JSON.stringify(wecom.config)).corpId, 'wwdemocorp0000001');
      } finally {
        wecom.close();
      }
    }
  });

  it('a logger given the config (pino, console-style formatting)', () => {
    for (const { wecom, secrets } of apps()) {
      try {
        let written = '';
        const sink = new Writable({
          write(chunk: Buffer, _enc, done) {
            written += chunk.toString();
            done();
          },
        });
        const log = pino({ level: 'debug' }, sink);
        log.info({ config: wecom.config, wecom }, 'starting');
        log.info(wecom.config, 'as the object');
        assertClean(written, secrets, 'pino');
        assertClean(inspect({ wecom }, { depth: 8 }), secrets, 'console.log formatting');
      } finally {
        wecom.close();
      }
    }
  });

  it('the secrets are still there for the code that needs them', () => {
    const [, second] = apps();
    assert.ok(second);
    try {
      assert.equal(second.wecom.config.secret, APP_SECRET);
      assert.deepEqual(second.wecom.config.transactionSecrets, TX_SECRETS);
      assert.deepEqual(second.wecom.config.miniProgram?.sessionSecret, [SESSION_SECRET, 'older-session-secret-x']);
    } finally {
      second.wecom.close();
    }
  });
});
