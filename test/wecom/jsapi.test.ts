import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsapiSignature, randomNonce } from '../../src/wecom/jsapi.ts';

// docs/wecom-api.md §7 vectors.
const ticket = 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg';
const nonceStr = 'Wm3WZYTPz0wzccnW';
const timestamp = 1414587457;

describe('jsapiSignature', () => {
  it('reproduces the WeCom doc vector (url with a query)', () => {
    assert.equal(
      jsapiSignature({ ticket, nonceStr, timestamp, url: 'http://mp.weixin.qq.com?params=value' }),
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });

  it('reproduces the WeChat MP doc vector (bare url)', () => {
    assert.equal(
      jsapiSignature({ ticket, nonceStr, timestamp: String(timestamp), url: 'http://mp.weixin.qq.com' }),
      'f4d90daf4b3bca3078ab155816175ba34c443a7b',
    );
  });

  it('drops the #fragment of the url', () => {
    assert.equal(
      jsapiSignature({ ticket, nonceStr, timestamp, url: 'http://mp.weixin.qq.com?params=value#/route?x=1' }),
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });
});

describe('randomNonce', () => {
  it('is 16 alphanumeric characters and differs between calls', () => {
    const a = randomNonce();
    assert.match(a, /^[A-Za-z0-9]{16}$/);
    assert.notEqual(a, randomNonce());
  });
});
