import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { safeReturnTo } from '../../src/express/return-to.ts';

const origin = 'https://app.example.com';

describe('safeReturnTo', () => {
  it('keeps same-origin paths with their query', () => {
    assert.equal(safeReturnTo('/orders/123?tab=2', origin), '/orders/123?tab=2');
    assert.equal(safeReturnTo('/', origin), '/');
    assert.equal(safeReturnTo('/a/%E4%B8%AD?q=%2F%2F', origin), '/a/%E4%B8%AD?q=%2F%2F');
    assert.equal(safeReturnTo('/a#frag', origin), '/a', 'fragments are dropped');
  });
  it('refuses every open-redirect shape', () => {
    for (const bad of [
      '//evil.example',
      '/\\evil.example',
      '\\evil.example',
      'https://evil.example',
      'http:evil.example',
      'evil.example',
      '/%2F%2Fevil.example',
      '/%2fevil.example',
      '/%5Cevil.example',
      '/%5cevil',
      '///evil.example',
      '/\tevil',
      '/\nevil',
      '/ evil',
      ' /a',
      '/.//evil.example',
      '/..//evil.example',
      '/a/../%2F/evil',
      '/%2e//evil.example',
      'javascript:alert(1)',
      '',
      '/\u3000',
      '/a\\b',
      'data:text/html,x',
    ]) {
      assert.equal(safeReturnTo(bad, origin), undefined, JSON.stringify(bad));
    }
    assert.equal(safeReturnTo(undefined, origin), undefined);
    assert.equal(safeReturnTo(['/a'], origin), undefined);
    assert.equal(safeReturnTo(`/${'a'.repeat(3000)}`, origin), undefined);
  });

  it('counts the 2,048-character limit after normalisation, which can triple a length', () => {
    const quotes = `/orders?q=${'"'.repeat(1000)}`; // 1,010 characters sent, 3,010 once `"` is %22
    assert.equal(safeReturnTo(quotes, origin), undefined);
    const fits = `/orders?q=${'"'.repeat(600)}`; // 1,810 normalised
    assert.equal(safeReturnTo(fits, origin), `/orders?q=${'%22'.repeat(600)}`);
    assert.equal(safeReturnTo(`/${'a'.repeat(2047)}`, origin)?.length, 2048);
    assert.equal(safeReturnTo(`/${'a'.repeat(2048)}`, origin), undefined);
  });
});
