// The call log (emulator.calls, GET /__emulator/calls) never holds a secret: an app pointed at the
// emulator by mistake sends its real corpsecret, and every test and process can read the log.
// The values the emulator minted (access_token, code) stay readable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CORP, SECRET, getJson, issueCode, start, token } from '../helpers/emulator.ts';
import type { RecordedCall } from '../../src/emulator/index.ts';

const MARKER = '[redacted by the emulator]';
/** Secrets of a real corporation, as an app configured for the real WeCom would send them. */
const REAL = ['Xr3alS3cr3tOfACorpApp0000000000000000000001', 'suite-secret-value-2', 'provider-secret-3', 'permanent-code-4'];

async function loggedOverHttp(url: string): Promise<string> {
  const res = await fetch(`${url}/__emulator/calls`);
  assert.equal(res.status, 200);
  return res.text();
}

test('gettoken: corpsecret is recorded as the marker, right or wrong, and the token is still issued', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const wrong = await getJson(emu, '/cgi-bin/gettoken', { corpid: CORP, corpsecret: REAL[0] ?? '' });
  assert.equal(wrong['errcode'], 40001, 'the handler saw the secret as sent');
  const calls = emu.calls.filter((c) => c.api === 'gettoken');
  assert.deepEqual(
    calls.map((c) => c.query),
    [
      { corpid: CORP, corpsecret: MARKER },
      { corpid: CORP, corpsecret: MARKER },
    ],
  );
  const code = await issueCode(emu);
  await getJson(emu, '/cgi-bin/auth/getuserinfo', { access_token: at, code });
  const exchange = emu.calls.find((c) => c.api === 'auth/getuserinfo');
  assert.equal(exchange?.query['access_token'], at, "the emulator's own token stays readable");
  assert.equal(exchange?.query['code'], code, "the emulator's own code stays readable");
  const overHttp = await loggedOverHttp(emu.url);
  for (const text of [overHttp, JSON.stringify(emu.calls)]) {
    assert.ok(!text.includes(SECRET), 'the fixture secret is not in the log');
    assert.ok(!text.includes(REAL[0] ?? '-'), 'the real secret is not in the log');
    assert.ok(text.includes(MARKER));
  }
});

test('JSON bodies: every secret field at any depth is the marker; other fields are kept', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const body = {
    agentid: 1000002,
    secret: REAL[0],
    Suite_Secret: REAL[1],
    nested: { provider_secret: REAL[2], list: [{ permanent_code: REAL[3], corp_secret: REAL[0] }, 'plain'] },
    callback: { url: 'https://app.example/cb', token: REAL[1], EncodingAESKey: REAL[2] },
    description: 'kept',
  };
  const res = await fetch(`${emu.url}/cgi-bin/agent/set?access_token=${at}&secret=${REAL[0] ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const call = emu.calls.find((c) => c.api === 'agent/set');
  assert.ok(call);
  assert.equal(call.query['secret'], MARKER);
  assert.equal(call.query['access_token'], at);
  assert.deepEqual(call.body, {
    agentid: 1000002,
    secret: MARKER,
    Suite_Secret: MARKER,
    nested: { provider_secret: MARKER, list: [{ permanent_code: MARKER, corp_secret: MARKER }, 'plain'] },
    callback: { url: 'https://app.example/cb', token: MARKER, EncodingAESKey: MARKER },
    description: 'kept',
  });
  const logged = await loggedOverHttp(emu.url);
  for (const secret of REAL) assert.ok(!logged.includes(secret), `${secret} is not in /__emulator/calls`);
});

test('a body that is not JSON (a form, broken JSON) is recorded with its secrets replaced', async (t) => {
  const emu = await start(t);
  const at = await token(emu);
  const post = (text: string, type: string): Promise<Response> =>
    fetch(`${emu.url}/cgi-bin/message/send?access_token=${at}`, { method: 'POST', headers: { 'content-type': type }, body: text });
  await post(`corpsecret=${REAL[0] ?? ''}&access_token=${at}&suite_secret=${REAL[1] ?? ''}`, 'application/x-www-form-urlencoded');
  await post(`{"provider_secret": "${REAL[2] ?? ''}", "permanent_code":'${REAL[3] ?? ''}', "touser": "zhangsan"`, 'application/json');
  const bodies = emu.calls.filter((c: RecordedCall) => c.api === 'message/send').map((c) => c.body);
  assert.deepEqual(bodies, [
    `corpsecret=${MARKER}&access_token=${at}&suite_secret=${MARKER}`,
    `{"provider_secret": "${MARKER}", "permanent_code":'${MARKER}', "touser": "zhangsan"`,
  ]);
  const logged = await loggedOverHttp(emu.url);
  for (const secret of REAL) assert.ok(!logged.includes(secret), `${secret} is not in /__emulator/calls`);
});
