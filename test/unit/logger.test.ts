/**
 * One logger option for the whole package, taking the loggers apps already have as they are:
 * console, pino (fields first) and winston (message first) each get the message and its fields;
 * nothing is written without one; the `debug` namespace traces a login step by step.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import createDebug from 'debug';
import pino from 'pino';
import winston from 'winston';
import Transport from 'winston-transport';
import { createLog } from '../../src/wecom/logger.ts';
import { setupFlow, login, HTML } from '../helpers/flow.ts';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger: console, pino and winston as they are', () => {
  it('console gets (message, fields)', () => {
    const out = sink();
    const log = createLog(new Console(out.stream, out.stream), 'test');
    log.warn('wecom login failed', { reason: 'visibility', errcode: 60011 });
    assert.match(out.text(), /wecom login failed \{ reason: 'visibility', errcode: 60011 \}/);
  });

  it('pino gets (fields, message): the fields stay fields', () => {
    const out = sink();
    const log = createLog(pino({ level: 'debug' }, out.stream), 'test');
    log.warn('wecom login failed', { reason: 'visibility', errcode: 60011 });
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    assert.equal(line['msg'], 'wecom login failed');
    assert.equal(line['reason'], 'visibility');
    assert.equal(line['errcode'], 60011);
    assert.equal(line['level'], 40);
  });

  it('winston gets (message, meta)', () => {
    const seen: Array<Record<string, unknown>> = [];
    class Capture extends Transport {
      override log(info: Record<string, unknown>, next: () => void): void {
        seen.push(info);
        next();
      }
    }
    const log = createLog(winston.createLogger({ level: 'debug', transports: [new Capture()] }), 'test');
    log.error('wecom auth route failed', { error: 'TypeError' });
    assert.equal(seen[0]?.['message'], 'wecom auth route failed');
    assert.equal(seen[0]?.['error'], 'TypeError');
    assert.equal(seen[0]?.['level'], 'error');
  });

  it('a logger with only some methods is fine; none at all writes nothing', () => {
    const lines: string[] = [];
    const log = createLog({ error: (msg: string) => lines.push(msg) } as never, 'test');
    log.debug('d');
    log.warn('w');
    log.error('e');
    assert.deepEqual(lines, ['e']);
    assert.doesNotThrow(() => createLog(undefined, 'test').error('nobody hears this'));
  });
});

describe('the debug namespace express-wecom-auth:*', () => {
  it('traces a login step by step, with no code, token or secret in it', async () => {
    const lines: string[] = [];
    const previous = createDebug.log;
    createDebug.log = (...args: unknown[]) => lines.push(args.map(String).join(' '));
    createDebug.enable('express-wecom-auth:*');
    const flow = await setupFlow();
    try {
      await login(flow.agent(), '/orders/1', { user: 'zhangsan' });
      await flow.agent().get('/auth/wecom/callback?state=a&state=b').set('Accept', HTML);
    } finally {
      createDebug.disable();
      createDebug.log = previous;
      await flow.close();
    }
    const text = lines.join('\n');
    for (const step of ['login started', 'callback', 'state claimed', 'code exchanged', 'session written', 'login failed']) {
      assert.ok(text.includes(step), `traced: ${step}\n${text}`);
    }
    for (const call of flow.emulator.calls) {
      for (const value of [call.query['code'], call.query['access_token'], 'demo-secret']) {
        if (value) assert.ok(!text.includes(value), 'no secret in the trace');
      }
    }
  });
});
