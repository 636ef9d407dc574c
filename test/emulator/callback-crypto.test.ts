// The emulator's callback crypto (src/emulator/callback-crypto.ts) against WeCom's published
// vectors, and against the library's own implementation (src/wecom/callback-crypto.ts): two
// independent implementations of 91144 that must meet on the wire, each opening what the other sealed.
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { aesKey, decrypt, encrypt, msgSignature, randomEncodingAESKey } from '../../src/emulator/callback-crypto.ts';
import { CallbackCrypto } from '../../src/wecom/callback-crypto.ts';
import { VECTOR_A, VECTOR_B } from './callback-vectors.ts';

/** The pad length a ciphertext carries (its last plaintext byte), read with node:crypto alone. */
function padOf(encodingAESKey: string, ciphertext: string): number {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]);
  return plain[plain.length - 1] ?? -1;
}

describe("the emulator's callback crypto and WeCom's published vectors", () => {
  for (const [name, v] of [
    ['A', VECTOR_A],
    ['B', VECTOR_B],
  ] as const) {
    it(`set ${name}: the GET's and the POST's signatures, and both decrypt to WeCom's plaintext for its receiveid`, () => {
      assert.equal(msgSignature(v.token, v.get.timestamp, v.get.nonce, v.get.echostr), v.get.msgSignature);
      assert.equal(msgSignature(v.token, v.post.timestamp, v.post.nonce, v.post.encrypt), v.post.msgSignature);
      assert.deepEqual(decrypt(v.encodingAESKey, v.get.echostr), { message: v.get.plaintext, receiveId: v.receiveId });
      assert.deepEqual(decrypt(v.encodingAESKey, v.post.encrypt), { message: v.post.message, receiveId: v.receiveId });
    });
  }

  it("set A: re-encrypting the echostr's plaintext with its random prefix gives WeCom's ciphertext byte for byte", () => {
    const sealed = encrypt(VECTOR_A.encodingAESKey, VECTOR_A.get.plaintext, VECTOR_A.receiveId, Buffer.from(VECTOR_A.get.random, 'ascii'));
    assert.equal(sealed, VECTOR_A.get.echostr);
  });

  it('another token signs differently; another key or a changed byte does not decrypt to the message', () => {
    assert.notEqual(msgSignature('other', VECTOR_A.post.timestamp, VECTOR_A.post.nonce, VECTOR_A.post.encrypt), VECTOR_A.post.msgSignature);
    const wrongKey = decrypt(VECTOR_B.encodingAESKey, VECTOR_A.post.encrypt);
    assert.notEqual(wrongKey?.message, VECTOR_A.post.message);
    const bytes = Buffer.from(VECTOR_A.post.encrypt, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01; // the last block: its padding no longer holds
    assert.equal(decrypt(VECTOR_A.encodingAESKey, bytes.toString('base64')), undefined);
    assert.equal(decrypt(VECTOR_A.encodingAESKey, 'not base64!'), undefined);
    assert.equal(decrypt(VECTOR_A.encodingAESKey, Buffer.alloc(16).toString('base64')), undefined, 'not whole 32-byte blocks');
    assert.throws(() => aesKey('short'), RangeError);
  });

  it('round trips every pad length from 1 to 32, with multi-byte UTF-8', () => {
    const key = randomEncodingAESKey();
    const seen = new Set<number>();
    for (let n = 0; n < 40; n++) {
      const message = `<xml><Content><![CDATA[你好${'x'.repeat(n)}]]></Content></xml>`;
      const sealed = encrypt(key, message, 'wwdemocorp0000001');
      seen.add(padOf(key, sealed));
      assert.deepEqual(decrypt(key, sealed), { message, receiveId: 'wwdemocorp0000001' });
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 32 }, (_, i) => i + 1),
    );
  });
});

describe('the two implementations meet on the wire', () => {
  const app = { token: 'emuToken2024', encodingAESKey: randomEncodingAESKey(), receiveId: 'wwdemocorp0000001' };
  const library = new CallbackCrypto({
    credentials: { token: app.token, encodingAESKey: app.encodingAESKey },
    receiveId: app.receiveId,
    timestampWindowMs: Infinity,
  });

  it("the library opens what the emulator sealed: WeCom's deliveries", () => {
    for (const message of ['<xml><Event><![CDATA[enter_agent]]></Event></xml>', '{"Event":"click","EventKey":"签到"}', 'x'.repeat(1000)]) {
      const ciphertext = encrypt(app.encodingAESKey, message, app.receiveId);
      const timestamp = '1700000000';
      const nonce = '123456789';
      const opened = library.open({
        msgSignature: msgSignature(app.token, timestamp, nonce, ciphertext),
        timestamp,
        nonce,
        encrypt: ciphertext,
      });
      assert.equal(opened.message, message);
    }
  });

  it("the emulator opens what the library sealed: an app's passive replies", () => {
    for (const message of ['<xml><MsgType><![CDATA[update_button]]></MsgType></xml>', '已同意'.repeat(50)]) {
      const sealed = library.seal(message, { timestamp: '1700000001', nonce: '987654321' });
      assert.equal(msgSignature(app.token, sealed.timestamp, sealed.nonce, sealed.encrypt), sealed.msgSignature);
      assert.deepEqual(decrypt(app.encodingAESKey, sealed.encrypt), { message, receiveId: app.receiveId });
    }
  });

  it("the library refuses the emulator's ciphertext for another corporation (the receiveid is checked on both sides)", () => {
    const ciphertext = encrypt(app.encodingAESKey, '<xml/>', 'wwanothercorp');
    const timestamp = '1700000000';
    const nonce = '1';
    assert.throws(
      () => library.open({ msgSignature: msgSignature(app.token, timestamp, nonce, ciphertext), timestamp, nonce, encrypt: ciphertext }),
      { code: 'WECOM_CALLBACK_DECRYPT_FAILED' },
    );
  });
});
