import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  CallbackCrypto,
  callbackSignature,
  decodeEncodingAESKey,
  decryptMessage,
  encryptMessage,
} from '../../src/wecom/callback-crypto.ts';
import {
  DECRYPT_FAILED_MESSAGE,
  WECOM_CALLBACK_BAD_SIGNATURE,
  WECOM_CALLBACK_DECRYPT_FAILED,
  WECOM_CALLBACK_MALFORMED,
  WECOM_CALLBACK_STALE,
  WeComCallbackError,
} from '../../src/wecom/callback-errors.ts';
import { verifyUrl } from '../../src/wecom/callback-delivery.ts';
import { WeComOptionsError } from '../../src/options.ts';
import { VECTOR_A, VECTOR_B, referenceDecrypt, referenceSignature } from './callback-vectors.ts';

const A = new CallbackCrypto({
  credentials: { token: VECTOR_A.token, encodingAESKey: VECTOR_A.encodingAESKey },
  receiveId: VECTOR_A.receiveId,
  now: () => Number(VECTOR_A.get.timestamp) * 1000,
});
const KEY = decodeEncodingAESKey(VECTOR_A.encodingAESKey);
const TOKEN = VECTOR_A.token;
const TS = VECTOR_A.get.timestamp;
const NONCE = '123456';

/** Runs `fn` and returns the WeComCallbackError it throws (fails the test otherwise). */
function refusal(fn: () => unknown): WeComCallbackError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WeComCallbackError, `expected a WeComCallbackError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

/** Opens `encrypt` signed with A's token, as WeCom (or someone holding the token) would sign it. */
function openSigned(encrypt: string, crypto = A): string {
  return crypto.open({ msgSignature: callbackSignature(TOKEN, TS, NONCE, encrypt), timestamp: TS, nonce: NONCE, encrypt }).message;
}

/** AES-256-CBC of raw bytes with A's key, without padding of its own: for plaintexts the library would never make. */
function rawEncrypt(plain: Buffer): string {
  const cipher = createCipheriv('aes-256-cbc', KEY, KEY.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
}

function plaintext(message: string, receiveId: string, pad: number, padByte = pad): Buffer {
  const body = Buffer.from(message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.alloc(16, 7), length, body, Buffer.from(receiveId), Buffer.alloc(pad, padByte)]);
}

describe('WeCom published vectors', () => {
  it('A (weworkapi_python): the URL verification verifies and decrypts to its echostr', () => {
    assert.deepEqual(verifyUrl(A, VECTOR_A.get), {
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: VECTOR_A.get.plaintext,
      credentialIndex: 0,
    });
  });

  it('A: the POST verifies and decrypts to its XML, byte for byte', () => {
    const { msg_signature, timestamp, nonce, encrypt, message } = VECTOR_A.post;
    const crypto = new CallbackCrypto({
      credentials: { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey },
      receiveId: VECTOR_A.receiveId,
      now: () => Number(timestamp) * 1000,
    });
    const opened = crypto.open({ msgSignature: msg_signature, timestamp, nonce, encrypt });
    assert.equal(opened.message, message);
    assert.equal(Buffer.byteLength(opened.message), 228);
  });

  it("A: re-encrypting the echostr with its own random prefix gives WeCom's ciphertext back", () => {
    assert.equal(encryptMessage(KEY, VECTOR_A.get.plaintext, VECTOR_A.receiveId, Buffer.from(VECTOR_A.get.random)), VECTOR_A.get.echostr);
    assert.equal(callbackSignature(TOKEN, TS, VECTOR_A.get.nonce, VECTOR_A.get.echostr), VECTOR_A.get.msg_signature);
  });

  it('B (weworkapi_php, C++, Go): the URL verification and the POST verify and decrypt', () => {
    const b = (at: string): CallbackCrypto =>
      new CallbackCrypto({
        credentials: { token: VECTOR_B.token, encodingAESKey: VECTOR_B.encodingAESKey },
        receiveId: VECTOR_B.receiveId,
        now: () => Number(at) * 1000,
      });
    assert.equal(verifyUrl(b(VECTOR_B.get.timestamp), VECTOR_B.get).body, VECTOR_B.get.plaintext);
    const { msg_signature, timestamp, nonce, body, message } = VECTOR_B.post;
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(body)?.[1] ?? '';
    assert.equal(b(timestamp).open({ msgSignature: msg_signature, timestamp, nonce, encrypt }).message, message);
  });
});

describe('round trips', () => {
  it('every pad length 1..32: encrypt -> decrypt gives the message back, padded as WeCom pads', () => {
    const receiveId = VECTOR_A.receiveId; // 18 bytes
    const seen = new Set<number>();
    for (let length = 0; length < 64; length++) {
      const message = 'x'.repeat(length);
      const encrypt = encryptMessage(KEY, message, receiveId);
      const ref = referenceDecrypt(VECTOR_A.encodingAESKey, encrypt);
      const expectedPad = 32 - ((16 + 4 + length + receiveId.length) % 32);
      assert.equal(ref.pad, expectedPad, `length ${length}`);
      assert.equal(Buffer.from(encrypt, 'base64').length % 32, 0);
      assert.deepEqual([ref.message, ref.receiveId], [message, receiveId]);
      assert.equal(decryptMessage(KEY, encrypt, receiveId), message);
      seen.add(ref.pad);
    }
    assert.deepEqual(
      [...seen].sort((x, y) => x - y),
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
  });

  it('multi-byte UTF-8 (Chinese, emoji, a combining mark) survives, with lengths counted in bytes', () => {
    for (const message of ['你好，世界', '👩‍💻 部署完成 ✅', 'é', '<xml><Content><![CDATA[张三 🎉]]></Content></xml>']) {
      const encrypt = encryptMessage(KEY, message, VECTOR_A.receiveId);
      assert.equal(openSigned(encrypt), message);
      assert.equal(referenceDecrypt(VECTOR_A.encodingAESKey, encrypt).message, message);
    }
  });

  it('seal() signs what open() verifies, and what the reference algorithm decrypts', () => {
    const reply = '<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到]]></Content></xml>';
    const sealed = A.seal(reply, { nonce: '1597212914' });
    assert.equal(sealed.timestamp, TS);
    assert.equal(sealed.msgSignature, referenceSignature(TOKEN, sealed.timestamp, sealed.nonce, sealed.encrypt));
    assert.equal(referenceDecrypt(VECTOR_A.encodingAESKey, sealed.encrypt).message, reply);
    assert.equal(A.open(sealed).message, reply);
  });
});

describe('keys that rotate', () => {
  const NEW = { token: 'NewToken2026', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' };
  const rotating = new CallbackCrypto({
    credentials: [NEW, { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey }],
    receiveId: VECTOR_A.receiveId,
    now: () => Number(TS) * 1000,
  });

  it('opens deliveries of the old pair and of the new one, and says which matched', () => {
    assert.deepEqual(verifyUrl(rotating, VECTOR_A.get).credentialIndex, 1);
    const sealed = rotating.seal('hello', { credentialIndex: 0 });
    assert.deepEqual(rotating.open(sealed), { message: 'hello', credentialIndex: 0 });
    assert.equal(rotating.credentialCount, 2);
  });

  it('a token kept with a new key: the signature matches both pairs, the key that decrypts wins', () => {
    const sameToken = new CallbackCrypto({
      credentials: [
        { token: TOKEN, encodingAESKey: NEW.encodingAESKey },
        { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey },
      ],
      receiveId: VECTOR_A.receiveId,
      now: () => Number(TS) * 1000,
    });
    assert.deepEqual(verifyUrl(sameToken, VECTOR_A.get), { ...verifyUrl(A, VECTOR_A.get), credentialIndex: 1 });
  });
});

describe('hostile input: each case is its one coded error', () => {
  const good = { msgSignature: VECTOR_A.get.msg_signature, timestamp: TS, nonce: VECTOR_A.get.nonce, encrypt: VECTOR_A.get.echostr };
  const decryptFailure = {
    name: 'WeComCallbackError',
    code: WECOM_CALLBACK_DECRYPT_FAILED,
    status: 400,
    message: `WeCom callback refused: ${DECRYPT_FAILED_MESSAGE}`,
  };

  it('a bad, missing, repeated or non-hex msg_signature is BAD_SIGNATURE (401)', () => {
    const flipped = good.msgSignature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    for (const msgSignature of [flipped, undefined, '', [good.msgSignature, good.msgSignature], 'z'.repeat(40), `${good.msgSignature}00`]) {
      const err = refusal(() => A.open({ ...good, msgSignature }));
      assert.deepEqual([err.code, err.status], [WECOM_CALLBACK_BAD_SIGNATURE, 401], String(msgSignature));
    }
  });

  it('a ciphertext changed after signing is BAD_SIGNATURE: the signature covers it', () => {
    const tampered = `${good.encrypt.slice(0, 10)}${good.encrypt[10] === 'A' ? 'B' : 'A'}${good.encrypt.slice(11)}`;
    assert.equal(refusal(() => A.open({ ...good, encrypt: tampered })).code, WECOM_CALLBACK_BAD_SIGNATURE);
  });

  it('a flipped ciphertext byte, re-signed by someone holding the token: DECRYPT_FAILED, or (CBC being malleable) another message, never anything else', () => {
    const message = '<xml><Content><![CDATA[approve order 42]]></Content></xml>';
    const original = Buffer.from(encryptMessage(KEY, message, VECTOR_A.receiveId, Buffer.alloc(16, 3)), 'base64');
    let refused = 0;
    for (let at = 0; at < original.length; at++) {
      const flipped = Buffer.from(original);
      flipped[at] = (flipped[at] ?? 0) ^ 0x01;
      try {
        assert.notEqual(openSigned(flipped.toString('base64')), message, `byte ${at}`);
      } catch (err) {
        assert.ok(err instanceof WeComCallbackError && err.code === WECOM_CALLBACK_DECRYPT_FAILED, `byte ${at}: ${String(err)}`);
        if (at >= original.length - 32) refused++;
      }
    }
    // A flip in the last two AES blocks garbles the receiveid or the padding: refused, every one.
    assert.equal(refused, 32);
  });

  it('another receiveid is DECRYPT_FAILED, the same error as every decryption failure', () => {
    const other = new CallbackCrypto({
      credentials: { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey },
      receiveId: 'wwsomeothercorp00',
      now: () => Number(TS) * 1000,
    });
    assert.deepEqual(refusal(() => other.open(good)).toJSON(), decryptFailure);
  });

  it('bad padding of every kind, bad length fields, truncation, non-base64, not UTF-8: one error, one message', () => {
    const id = VECTOR_A.receiveId;
    const whole = encryptMessage(KEY, 'hello', id);
    const cases: Record<string, string> = {
      'pad byte 0': rawEncrypt(plaintext('hello', id, 25, 0).subarray(0, 64)),
      'pad byte 33': rawEncrypt(Buffer.concat([plaintext('hello', id, 0), Buffer.alloc(25, 33)]).subarray(0, 64)),
      'pad byte 255': rawEncrypt(Buffer.concat([plaintext('hello', id, 0), Buffer.alloc(21, 255)])),
      'inconsistent pad bytes': rawEncrypt(Buffer.concat([plaintext('hello', id, 0), Buffer.alloc(20, 20), Buffer.from([21])])),
      'pad longer than the plaintext after the prefix': rawEncrypt(Buffer.alloc(32, 32)),
      'length field past the end': rawEncrypt(
        Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0, 1, 0]), Buffer.from('hello' + id), Buffer.alloc(21, 21)]),
      ),
      'length field 0xFFFFFFFF': rawEncrypt(
        Buffer.concat([Buffer.alloc(16), Buffer.from([255, 255, 255, 255]), Buffer.from('hello' + id), Buffer.alloc(21, 21)]),
      ),
      'a message that is not UTF-8': rawEncrypt(
        Buffer.concat([Buffer.alloc(16), Buffer.from([0, 0, 0, 2, 0xc3, 0x28]), Buffer.from(id), Buffer.alloc(24, 24)]),
      ),
      'truncated by a block': Buffer.from(whole, 'base64').subarray(0, 32).toString('base64'),
      'truncated mid-block': Buffer.from(whole, 'base64').subarray(0, 48).toString('base64'),
      'one AES block': Buffer.alloc(16, 1).toString('base64'),
      'not base64': `${whole.slice(0, -4)}*!?=`,
      'base64 with a space': `${whole.slice(0, 8)} ${whole.slice(9)}`,
      'base64 without its padding': whole.replace(/=+$/, ''),
    };
    assert.equal(whole.endsWith('='), true, 'the fixture needs base64 padding');
    for (const [what, encrypt] of Object.entries(cases)) {
      const err = refusal(() => openSigned(encrypt));
      assert.deepEqual(err.toJSON(), decryptFailure, what);
    }
  });

  it('a timestamp outside the window, in the past or the future, is STALE (401); inside it is accepted', () => {
    const at = (ms: number): CallbackCrypto =>
      new CallbackCrypto({
        credentials: { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey },
        receiveId: VECTOR_A.receiveId,
        now: () => ms,
      });
    const signedAt = Number(TS) * 1000;
    for (const skew of [-300_001, 300_001, -86_400_000, 86_400_000]) {
      const err = refusal(() => at(signedAt + skew).open(good));
      assert.deepEqual([err.code, err.status], [WECOM_CALLBACK_STALE, 401], String(skew));
    }
    for (const skew of [-300_000, 0, 300_000]) assert.equal(at(signedAt + skew).open(good).message, VECTOR_A.get.plaintext);
    const wide = new CallbackCrypto({
      credentials: { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey },
      receiveId: VECTOR_A.receiveId,
      timestampWindowMs: 600_000,
      now: () => signedAt + 599_000,
    });
    assert.equal(wide.open(good).message, VECTOR_A.get.plaintext);
  });

  it('a forged request is BAD_SIGNATURE whatever its timestamp: only authentic deliveries are told they are stale', () => {
    assert.equal(refusal(() => A.open({ ...good, timestamp: '1000000000' })).code, WECOM_CALLBACK_BAD_SIGNATURE);
  });

  it('a timestamp, nonce or ciphertext that is missing or not a single string is MALFORMED (400)', () => {
    for (const input of [
      { ...good, timestamp: undefined },
      { ...good, timestamp: '14764163.73' },
      { ...good, timestamp: [TS] },
      { ...good, nonce: '' },
      { ...good, nonce: 'n'.repeat(129) },
      { ...good, encrypt: undefined },
      { ...good, encrypt: [good.encrypt] },
    ]) {
      const err = refusal(() => A.open(input));
      assert.deepEqual([err.code, err.status], [WECOM_CALLBACK_MALFORMED, 400]);
    }
  });
});

describe('nothing secret leaves an error', () => {
  it('messages, toJSON and inspect hold no token, key, ciphertext or plaintext', () => {
    const errors = [
      refusal(() => A.open({ msgSignature: '0'.repeat(40), timestamp: TS, nonce: NONCE, encrypt: VECTOR_A.get.echostr })),
      refusal(() => openSigned(encryptMessage(KEY, 'secret plaintext 机密', 'wrongreceiver'))),
    ];
    for (const err of errors) {
      for (const text of [err.message, JSON.stringify(err), inspect(err), String(err)]) {
        for (const secret of [TOKEN, VECTOR_A.encodingAESKey, VECTOR_A.get.echostr, 'secret plaintext', '机密', 'wrongreceiver']) {
          assert.ok(!text.includes(secret), `${secret} in ${text}`);
        }
      }
      assert.match(inspect(err), /^WeComCallbackError \[WECOM_CALLBACK_[A-Z_]+\] \(40[01]\): WeCom callback refused: /);
    }
  });
});

describe('construction', () => {
  const ok = { credentials: { token: TOKEN, encodingAESKey: VECTOR_A.encodingAESKey }, receiveId: VECTOR_A.receiveId };
  const refusedOption = (options: unknown, option: string): WeComOptionsError => {
    try {
      new CallbackCrypto(options as never);
    } catch (err) {
      assert.ok(err instanceof WeComOptionsError);
      assert.equal(err.option, option);
      return err;
    }
    assert.fail(`expected ${option} to be refused`);
  };

  it('refuses an EncodingAESKey that is not 43 letters and digits, saying what it must be and never echoing it', () => {
    for (const encodingAESKey of [
      VECTOR_A.encodingAESKey.slice(1),
      `${VECTOR_A.encodingAESKey}=`,
      `${VECTOR_A.encodingAESKey}A`,
      `${VECTOR_A.encodingAESKey.slice(1)}+`,
      '',
      42,
    ]) {
      const err = refusedOption({ ...ok, credentials: { token: TOKEN, encodingAESKey } }, 'credentials.encodingAESKey');
      assert.match(err.message, /43-character EncodingAESKey/);
      if (typeof encodingAESKey === 'string' && encodingAESKey !== '') assert.ok(!err.message.includes(encodingAESKey));
    }
    assert.equal(decodeEncodingAESKey(VECTOR_A.encodingAESKey).length, 32);
  });

  it('refuses a bad token (never echoed), an empty or oversized list, a missing receiveId, unknown options, a tiny window', () => {
    const err = refusedOption({ ...ok, credentials: { token: 'has space', encodingAESKey: VECTOR_A.encodingAESKey } }, 'credentials.token');
    assert.ok(!err.message.includes('has space'));
    refusedOption({ ...ok, credentials: [] }, 'credentials');
    refusedOption({ ...ok, credentials: Array.from({ length: 9 }, () => ok.credentials) }, 'credentials');
    refusedOption({ ...ok, credentials: [ok.credentials, { token: TOKEN }] }, 'credentials[1].encodingAESKey');
    refusedOption({ ...ok, credentials: { ...ok.credentials, encodingAesKey: 'x' } }, 'credentials.encodingAesKey');
    refusedOption({ credentials: ok.credentials }, 'receiveId');
    refusedOption({ ...ok, receiveid: 'x' }, 'receiveid');
    refusedOption({ ...ok, timestampWindowMs: 10 }, 'timestampWindowMs');
  });
});
