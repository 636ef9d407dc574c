import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { CallbackCrypto } from '../../src/wecom/callback-crypto.ts';
import { openDelivery } from '../../src/wecom/callback-delivery.ts';
import { DEFAULT_MAX_BODY_BYTES, parseEnvelope, parseMessage } from '../../src/wecom/callback-envelope.ts';
import { WECOM_CALLBACK_MALFORMED, WECOM_CALLBACK_TOO_LARGE, WeComCallbackError } from '../../src/wecom/callback-errors.ts';
import { messageXml, signDelivery } from '../../src/wecom/callback-testing.ts';
import { parseXml } from '../../src/wecom/callback-xml.ts';
import { VECTOR_B } from './callback-vectors.ts';

const APP = { token: 'testtoken', encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', receiveId: 'wwtestcorp000001' };
const CRYPTO = new CallbackCrypto({ credentials: { token: APP.token, encodingAESKey: APP.encodingAESKey }, receiveId: APP.receiveId });
const TEXT = messageXml({
  ToUserName: APP.receiveId,
  FromUserName: 'zhangsan',
  CreateTime: 1700000000,
  MsgType: 'text',
  Content: 'hi',
  MsgId: '1',
  AgentID: 1000002,
});

function refusal(fn: () => unknown): WeComCallbackError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WeComCallbackError, `expected a WeComCallbackError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

function malformedBy(fn: () => unknown, message?: RegExp): void {
  const err = refusal(fn);
  assert.deepEqual([err.code, err.status], [WECOM_CALLBACK_MALFORMED, 400]);
  if (message) assert.match(err.message, message);
}

const BOMB = `<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<xml><Encrypt>&e;</Encrypt><Content>&e;</Content></xml>`;

/** The DTD attacks, each as a whole document whose root is <xml>. */
function dtdAttacks(dtdUrl: string): Record<string, string> {
  return {
    DOCTYPE: '<!DOCTYPE xml><xml><Encrypt>x</Encrypt></xml>',
    ENTITY: '<!DOCTYPE xml [<!ENTITY x "y">]><xml><Encrypt>&x;</Encrypt></xml>',
    'entity bomb': BOMB,
    'external DTD': `<?xml version="1.0"?><!DOCTYPE xml SYSTEM "${dtdUrl}"><xml><Encrypt>x</Encrypt></xml>`,
    'external parameter entity': `<!DOCTYPE xml [<!ENTITY % p SYSTEM "${dtdUrl}"> %p;]><xml><Encrypt>x</Encrypt></xml>`,
    'XXE file read': '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>',
    'a DOCTYPE after the root start': '<xml><!DOCTYPE xml><Encrypt>x</Encrypt></xml>',
    'lowercase doctype': '<!doctype xml><xml><Encrypt>x</Encrypt></xml>',
    'an undeclared entity': '<xml><Encrypt>&xxe;</Encrypt></xml>',
    'a comment': '<xml><!-- x --><Encrypt>x</Encrypt></xml>',
  };
}

/** A TCP server that counts connections: the external DTD must never be fetched. */
async function dtdServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/evil.dtd`,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the envelope', () => {
  it('reads the XML envelope (ToUserName, Encrypt, AgentID in CDATA or not) and the JSON one (agentid a number)', () => {
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)/.exec(VECTOR_B.post.body)?.[1];
    assert.deepEqual(parseEnvelope(VECTOR_B.post.body), { format: 'xml', encrypt, toUserName: 'wx5823bf96d3bd56c7', agentId: '218' });
    assert.deepEqual(
      parseEnvelope('<xml>\n\t<ToUserName>ww1</ToUserName>\n\t<AgentID>1000002</AgentID>\n\t<Encrypt>abc=</Encrypt>\n</xml>'),
      {
        format: 'xml',
        encrypt: 'abc=',
        toUserName: 'ww1',
        agentId: '1000002',
      },
    );
    const json = '{ "tousername": "wx5823bf96d3bd56c7", "encrypt": "cjhLUX7U==", "agentid": 218 }';
    assert.deepEqual(parseEnvelope(json, { format: 'json' }), {
      format: 'json',
      encrypt: 'cjhLUX7U==',
      toUserName: 'wx5823bf96d3bd56c7',
      agentId: '218',
    });
    assert.deepEqual(parseEnvelope(Buffer.from(json), { format: 'json' }).agentId, '218');
  });

  it('refuses a JSON envelope whose members have the wrong types, or that is not a JSON object', () => {
    for (const body of [
      '{"encrypt": 12345}',
      '{"encrypt": {"a": 1}}',
      '{"encrypt": ["x"]}',
      '{"encrypt": "x", "tousername": 7}',
      '{"encrypt": "x", "agentid": true}',
      '{"encrypt": "x", "agentid": 1.5}',
      '{"encrypt": "x", "agentid": null}',
      '{"encrypt": ""}',
      '{}',
      '["x"]',
      '"x"',
      '{"encrypt": "x"',
      '<xml><Encrypt>x</Encrypt></xml>',
    ]) {
      malformedBy(() => parseEnvelope(body, { format: 'json' }));
    }
  });

  it('refuses an XML envelope without Encrypt, with a nested or repeated one, with another root, or in another format', () => {
    for (const body of [
      '<xml><ToUserName>ww1</ToUserName></xml>',
      '<xml><Encrypt></Encrypt></xml>',
      '<xml><Encrypt><a>x</a></Encrypt></xml>',
      '<xml><Encrypt>x</Encrypt><Encrypt>y</Encrypt></xml>',
      '<root><Encrypt>x</Encrypt></root>',
      '{"encrypt": "x"}',
      'Encrypt=x',
      '',
    ]) {
      malformedBy(() => parseEnvelope(body));
    }
  });

  it('refuses a body over the limit before reading it (413), as a string or bytes', () => {
    const big = `<xml><Encrypt>${'A'.repeat(DEFAULT_MAX_BODY_BYTES)}</Encrypt></xml>`;
    for (const body of [big, Buffer.from(big), `<xml><Encrypt>${'中'.repeat(100)}</Encrypt></xml>`]) {
      const err = refusal(() => parseEnvelope(body, { maxBodyBytes: typeof body === 'string' && body.length < 1000 ? 250 : undefined }));
      assert.deepEqual([err.code, err.status], [WECOM_CALLBACK_TOO_LARGE, 413]);
    }
    assert.equal(parseEnvelope(`<xml><Encrypt>${'A'.repeat(1000)}</Encrypt></xml>`, { maxBodyBytes: 1030 }).encrypt.length, 1000);
  });

  it('refuses bytes that are not UTF-8', () => {
    malformedBy(() => parseEnvelope(Buffer.from([0x3c, 0x78, 0x6d, 0x6c, 0x3e, 0xff, 0x3c, 0x2f, 0x78, 0x6d, 0x6c, 0x3e])), /UTF-8/);
  });
});

describe('DOCTYPE and entities are refused before parsing, in the envelope and in the decrypted message', () => {
  it('the envelope: every DTD attack is MALFORMED, and the external DTD is never fetched', async () => {
    const server = await dtdServer();
    try {
      for (const body of Object.values(dtdAttacks(server.url))) {
        malformedBy(() => parseEnvelope(body));
        malformedBy(() => openDelivery(CRYPTO, { query: signDelivery(APP, TEXT).query, body }));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(server.connections(), 0);
    } finally {
      await server.close();
    }
  });

  it('the decrypted message: a signed, encrypted DTD attack is MALFORMED after decryption', async () => {
    const server = await dtdServer();
    try {
      for (const message of Object.values(dtdAttacks(server.url))) {
        const request = signDelivery(APP, message);
        malformedBy(() => openDelivery(CRYPTO, request));
      }
      assert.equal(server.connections(), 0);
    } finally {
      await server.close();
    }
  });

  it('names the DOCTYPE or the entity in the refusal', () => {
    malformedBy(() => parseXml(BOMB), /DOCTYPE/);
    malformedBy(() => parseXml('<xml><a>&xxe;</a></xml>'), /entity/);
  });

  it('a DOCTYPE inside CDATA is text: a member may paste HTML into a chat', () => {
    const message = messageXml({ MsgType: 'text', Content: '<!DOCTYPE html><html>&amp;</html>', MsgId: '2' });
    assert.equal(parseMessage(message)['Content'], '<!DOCTYPE html><html>&amp;</html>');
    assert.equal(openDelivery(CRYPTO, signDelivery(APP, message)).fields['Content'], '<!DOCTYPE html><html>&amp;</html>');
  });
});

describe("the reader of WeCom's XML", () => {
  it('reads text, CDATA, nesting and repeats, with the predefined entities and character references', () => {
    const doc = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<xml>\n\t<A><![CDATA[x]]></A>\n\t<B>1 &lt; 2 &amp;&amp; &#x4F60;&#22909; &quot;&apos;&gt;</B>\n' +
        '\t<C><D>d</D><E><F>1</F><F>2</F></E></C>\n\t<G/>\n\t<H></H>\n\t<I attr="ignored &x;">i</I><J><![CDATA[a]]><![CDATA[]]]]><![CDATA[>b]]></J>\n</xml>\n',
    );
    assert.equal(doc.root, 'xml');
    assert.deepEqual(JSON.parse(JSON.stringify(doc.fields)), {
      A: 'x',
      B: '1 < 2 && 你好 "\'>',
      C: { D: 'd', E: { F: ['1', '2'] } },
      G: '',
      H: '',
      I: 'i',
      J: 'a]]>b',
    });
  });

  it('element names become keys of objects without a prototype: __proto__ is just a name', () => {
    const fields = parseXml('<xml><__proto__><polluted>yes</polluted></__proto__><constructor>c</constructor></xml>').fields;
    assert.equal(Object.getPrototypeOf(fields), null);
    assert.deepEqual(Object.keys(fields), ['__proto__', 'constructor']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('refuses what is not that shape', () => {
    const bad = {
      unclosed: '<xml><A>x</A>',
      mismatched: '<xml><A>x</B></xml>',
      'text after the root': '<xml/>trailing',
      'two roots': '<xml/><xml/>',
      'mixed content': '<xml><A>x<B>y</B></A></xml>',
      'text in the root': '<xml>text</xml>',
      'unterminated CDATA': '<xml><A><![CDATA[x</A></xml>',
      'a processing instruction': '<xml><?php echo 1; ?></xml>',
      'a bare ampersand': '<xml><A>a & b</A></xml>',
      'a NUL reference': '<xml><A>&#0;</A></xml>',
      'a surrogate reference': '<xml><A>&#xD800;</A></xml>',
      'a bad name': '<xml><1A>x</1A></xml>',
      'a bad attribute': '<xml><A b=c>x</A></xml>',
      'too deep': `<xml>${'<a>'.repeat(10)}x${'</a>'.repeat(10)}</xml>`,
      'too many elements': `<xml>${'<a/>'.repeat(10_001)}</xml>`,
      'not XML': 'hello',
    };
    for (const [what, text] of Object.entries(bad)) {
      try {
        parseXml(text);
        assert.fail(`${what} was accepted`);
      } catch (err) {
        assert.ok(err instanceof WeComCallbackError && err.code === WECOM_CALLBACK_MALFORMED, `${what}: ${String(err)}`);
      }
    }
    assert.equal(parseXml(`<xml>${'<a>'.repeat(8)}x${'</a>'.repeat(8)}</xml>`).root, 'xml');
  });

  it('reads a JSON message into the same shape, keeping a 64-bit MsgId exact', () => {
    const fields = parseMessage(
      '{"ToUserName":"ww1","MsgType":"text","Content":"你好","MsgId":4561255354251345929,"AgentID":218,"Flag":true,"Gone":null,"List":[1,{"a":"b"}]}',
      'json',
    );
    assert.deepEqual(JSON.parse(JSON.stringify(fields)), {
      ToUserName: 'ww1',
      MsgType: 'text',
      Content: '你好',
      MsgId: '4561255354251345929',
      AgentID: '218',
      Flag: 'true',
      Gone: '',
      List: ['1', { a: 'b' }],
    });
    malformedBy(() => parseMessage('[1]', 'json'));
    malformedBy(() => parseMessage('<xml/>', 'json'));
  });
});
