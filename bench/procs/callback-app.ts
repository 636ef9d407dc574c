/**
 * A callback receiver under test, in its own process (bench/callbacks.ts). BENCH_CALLBACK (JSON):
 *   kind 'lib'    the library's receiver, mounted as docs/callbacks.md says (createCallbackReceiver),
 *                 a handler on `click` that awaits `handlerMs`; budgetMs as given;
 *   kind 'floor'  the least a correct receiver does by hand on the same Express: the raw body,
 *                 node:crypto sha1 and AES-256-CBC, the same XML reader, the same handler, no
 *                 de-duplication, no budget.
 * Answers {type: 'mem'} with its memory after a GC (it runs with --expose-gc).
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createCallbackReceiver } from '../../src/express/callback-receiver.ts';
import { parseMessage } from '../../src/wecom/callback-envelope.ts';

interface Config {
  kind: 'lib' | 'floor';
  token: string;
  encodingAESKey: string;
  receiveId: string;
  handlerMs: number;
  budgetMs?: number;
}
const config = JSON.parse(process.env['BENCH_CALLBACK'] ?? '{}') as Config;
const wait = (ms: number): Promise<void> => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

const app = express();
app.disable('x-powered-by');
if (config.kind === 'lib') {
  const receiver = createCallbackReceiver({
    credentials: { token: config.token, encodingAESKey: config.encodingAESKey },
    receiveId: config.receiveId,
    ...(config.budgetMs === undefined ? {} : { budgetMs: config.budgetMs }),
  });
  receiver.on('click', () => wait(config.handlerMs));
  app.use('/events', receiver);
} else {
  const key = Buffer.from(`${config.encodingAESKey}=`, 'base64');
  app.post('/events', express.raw({ type: () => true, limit: '256kb' }), (req, res) => {
    void (async () => {
      const body = (req.body as Buffer).toString('utf8');
      const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(body)?.[1] ?? '';
      const q = req.query as Record<string, string>;
      const expected = createHash('sha1')
        .update([config.token, q['timestamp'] ?? '', q['nonce'] ?? '', encrypt].sort().join(''))
        .digest('hex');
      const given = Buffer.from(q['msg_signature'] ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) return res.status(401).end();
      const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      const plain = Buffer.concat([decipher.update(encrypt, 'base64'), decipher.final()]);
      const padded = plain.subarray(0, plain.length - (plain[plain.length - 1] ?? 0));
      const length = padded.readUInt32BE(16);
      parseMessage(padded.subarray(20, 20 + length).toString('utf8'), 'xml');
      await wait(config.handlerMs);
      res.status(200).end();
    })();
  });
}
app.get('/__bench/mem', (_req, res) => {
  (globalThis as { gc?: () => void }).gc?.();
  res.json(process.memoryUsage());
});

const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.send?.({ id: 0, body: { port: (server.address() as AddressInfo).port } });
process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string };
  if (msg.type === 'stop') {
    server.close();
    process.send?.({ id: msg.id, body: { ok: true } });
    setTimeout(() => process.exit(0), 100).unref();
  }
});
