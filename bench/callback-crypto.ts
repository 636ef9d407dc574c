/**
 * What opening a callback delivery costs in CPU, in one process, against two floors:
 *
 *   - floor: node:crypto alone on the ciphertext (the SHA-1 of the signature, compared, and
 *     AES-256-CBC, the padding cut off, the length field read): what any receiver must spend,
 *     written the obvious way, a CBC decipher per delivery;
 *   - floor, decipher reused: the same with one long-lived ECB decipher and the CBC chaining done
 *     by hand, as the library does (creating a decipher costs about ten times decrypting 1 KB);
 *   - floor + naive parse: the reused-decipher floor plus regular expressions taking Encrypt out of
 *     the envelope and the decrypted fields into an object (no checks: a hand-rolled receiver);
 *   - the library: openDelivery() (size limit, DOCTYPE scan and the strict reader for the
 *     envelope, signature, timestamp window, decryption with every check, the strict reader for
 *     the message, the typed event, the de-duplication digest);
 *
 * for a small event (a menu click) and a large one (a create_user with every field), and the
 * refusals of hostile input (a bad signature, an entity bomb, a 2 MB body). The contenders run
 * interleaved, round by round; the table gives the median rate and its ratio to each floor.
 *
 *   node bench/callback-crypto.ts [--rounds 7] [--ms 400]
 */
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { CallbackCrypto } from '../src/wecom/callback-crypto.ts';
import { openDelivery } from '../src/wecom/callback-delivery.ts';
import { WeComCallbackError } from '../src/wecom/callback-errors.ts';
import { messageXml, signDelivery } from '../src/wecom/callback-testing.ts';
import { fmt, median, table } from './lib/stats.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUNDS = option('--rounds', 7);
const ROUND_MS = option('--ms', 400);

const APP = { token: 'benchtoken2026', encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', receiveId: 'wwbenchcorp00001' };
const CRYPTO = new CallbackCrypto({ credentials: { token: APP.token, encodingAESKey: APP.encodingAESKey }, receiveId: APP.receiveId });
const KEY = Buffer.from(`${APP.encodingAESKey}=`, 'base64');

const CLICK = messageXml({
  ToUserName: APP.receiveId,
  FromUserName: 'zhangsan',
  CreateTime: Math.floor(Date.now() / 1000),
  MsgType: 'event',
  Event: 'click',
  EventKey: 'orders_open',
  AgentID: 1000002,
});
const CREATE_USER = messageXml({
  ToUserName: APP.receiveId,
  FromUserName: 'sys',
  CreateTime: Math.floor(Date.now() / 1000),
  MsgType: 'event',
  Event: 'change_contact',
  ChangeType: 'create_user',
  UserID: 'zhangsan',
  Name: '张三',
  Department: '1,2,3',
  MainDepartment: 1,
  IsLeaderInDept: '1,0,0',
  DirectLeader: 'lisi,wangwu',
  Position: '产品经理',
  Mobile: '13800000000',
  Gender: 1,
  Email: 'zhangsan@example.com',
  BizMail: 'zhangsan@example.wecom.work',
  Status: 1,
  Avatar: 'http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0',
  Alias: 'zhangsan',
  Telephone: '020-123456',
  Address: '广州市',
  ExtAttr: { Item: [{ Name: '爱好', Type: 0, Text: { Value: '旅游' } }] },
});

/** The floor: node:crypto on the ciphertext, nothing else. */
function floor(query: { msg_signature: string; timestamp: string; nonce: string }, encrypt: string): string {
  const signature = createHash('sha1').update([APP.token, query.timestamp, query.nonce, encrypt].sort().join('')).digest();
  if (!timingSafeEqual(signature, Buffer.from(query.msg_signature, 'hex'))) throw new Error('signature');
  const decipher = createDecipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const end = plain.length - (plain[plain.length - 1] ?? 0);
  const length = plain.readUInt32BE(16);
  if (plain.toString('utf8', 20 + length, end) !== APP.receiveId) throw new Error('receiveid');
  return plain.toString('utf8', 20, 20 + length);
}

const ECB = createDecipheriv('aes-256-ecb', KEY, null);
ECB.setAutoPadding(false);

/** The floor with one ECB decipher for every delivery, the CBC chaining by hand. */
function floorReused(query: { msg_signature: string; timestamp: string; nonce: string }, encrypt: string): string {
  const signature = createHash('sha1').update([APP.token, query.timestamp, query.nonce, encrypt].sort().join('')).digest();
  if (!timingSafeEqual(signature, Buffer.from(query.msg_signature, 'hex'))) throw new Error('signature');
  const data = Buffer.from(encrypt, 'base64');
  const plain = ECB.update(data);
  for (let i = 0; i < plain.length; i++) plain[i] = (plain[i] ?? 0) ^ ((i < 16 ? KEY[i] : data[i - 16]) ?? 0);
  const end = plain.length - (plain[plain.length - 1] ?? 0);
  const length = plain.readUInt32BE(16);
  if (plain.toString('utf8', 20 + length, end) !== APP.receiveId) throw new Error('receiveid');
  return plain.toString('utf8', 20, 20 + length);
}

const FIELD = /<(\w+)>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))<\/\1>/g;

/** The floor plus what a hand-rolled receiver parses with: regular expressions, no checks. */
function floorAndNaiveParse(request: {
  query: { msg_signature: string; timestamp: string; nonce: string };
  body: string;
}): Record<string, string> {
  const encrypt = /<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/.exec(request.body)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of floorReused(request.query, encrypt).matchAll(FIELD)) fields[m[1] ?? ''] = m[2] ?? m[3] ?? '';
  return fields;
}

/** Calls of `fn` per second over about `ms`. */
function rate(fn: () => unknown, ms: number): number {
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

function refused(fn: () => unknown): () => void {
  return () => {
    try {
      fn();
    } catch (err) {
      if (err instanceof WeComCallbackError) return;
      throw err;
    }
    throw new Error('expected a refusal');
  };
}

function measure(contenders: Record<string, () => unknown>): Map<string, number> {
  const samples = new Map<string, number[]>(Object.keys(contenders).map((k) => [k, []]));
  for (const fn of Object.values(contenders)) rate(fn, 100); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of Object.entries(contenders)) samples.get(name)?.push(rate(fn, ROUND_MS));
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]));
}

function deliveryTable(label: string, message: string): string[] {
  const request = signDelivery(APP, message, { agentId: 1000002 });
  const encrypt = /<Encrypt><!\[CDATA\[([^\]]*)/.exec(request.body)?.[1] ?? '';
  const opened = openDelivery(CRYPTO, request);
  if (opened.message !== floor(request.query, encrypt) || opened.message !== floorReused(request.query, encrypt))
    throw new Error('contenders disagree');
  if (floorAndNaiveParse(request)['MsgType'] !== 'event') throw new Error('the naive parse failed');
  const r = measure({
    floor: () => floor(request.query, encrypt),
    reused: () => floorReused(request.query, encrypt),
    naive: () => floorAndNaiveParse(request),
    library: () => openDelivery(CRYPTO, request),
  });
  const rates = ['floor', 'reused', 'naive', 'library'].map((k) => r.get(k) ?? NaN);
  const [f = NaN, u = NaN, n = NaN] = rates;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const size = `${Buffer.byteLength(message)} B message, ${request.body.length} B body`;
  const what = [
    'node:crypto verify + decrypt (floor)',
    'floor, decipher reused',
    'floor, reused, + regex parse (naive)',
    'openDelivery() (the library)',
  ];
  return rates.map((x, i) => [label, size, what[i] ?? '', fmt(x), ratio(x, f), ratio(x, u), ratio(x, n)].join('\t'));
}

function refusalRows(): string[] {
  const good = signDelivery(APP, CLICK);
  const badSignature = { ...good, query: { ...good.query, msg_signature: '0'.repeat(40) } };
  const layer = '&a;'.repeat(16);
  const bomb = `<!DOCTYPE xml [<!ENTITY a "${'a'.repeat(64)}"><!ENTITY b "${layer}"><!ENTITY c "${layer.replaceAll('a', 'b')}">]><xml><Encrypt>&c;</Encrypt></xml>`;
  const twoMegabytes = `<xml><Encrypt>${'A'.repeat(2 * 2 ** 20)}</Encrypt></xml>`;
  const r = measure({
    'bad signature (401)': refused(() => openDelivery(CRYPTO, badSignature)),
    'entity bomb in the envelope (400)': refused(() => openDelivery(CRYPTO, { query: good.query, body: bomb })),
    '2 MB body (413)': refused(() => openDelivery(CRYPTO, { query: good.query, body: twoMegabytes })),
  });
  return [...r].map(([name, perSecond]) => ['hostile', '', name, fmt(perSecond), '', '', ''].join('\t'));
}

const rows = [...deliveryTable('menu click', CLICK), ...deliveryTable('create_user, every field', CREATE_USER), ...refusalRows()].map(
  (line) => line.split('\t'),
);
console.log(
  `# Opening callback deliveries: ${availableParallelism()} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ` +
    `${ROUNDS} rounds of ${ROUND_MS} ms per contender, interleaved; median per second, one core\n`,
);
console.log(table(['delivery', 'size', 'what runs', 'per second', 'vs floor', 'vs floor, reused', 'vs naive'], rows));
