import { describe, expect, it } from 'vitest';
import { splitCredentials } from './url-credentials.js';

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

describe('splitCredentials', () => {
  it('leaves a URL without credentials alone', () => {
    expect(splitCredentials('https://example.com/cb?x=1')).toEqual({ url: 'https://example.com/cb?x=1', authorization: null });
    expect(splitCredentials('http://example.com/a@b?c=d@e')).toEqual({ url: 'http://example.com/a@b?c=d@e', authorization: null });
  });

  it('takes user and password out of the URL into a Basic header, decoding them', () => {
    expect(splitCredentials('https://user:p%40ss%3Aw@example.com:8443/cb?x=%2F#rt=100')).toEqual({
      url: 'https://example.com:8443/cb?x=%2F#rt=100',
      authorization: basic('user:p@ss:w'),
    });
    expect(splitCredentials('http://only-user@127.0.0.1/cb')).toEqual({ url: 'http://127.0.0.1/cb', authorization: basic('only-user:') });
  });

  it('drops an empty userinfo without asking for authentication', () => {
    expect(splitCredentials('http://@example.com/cb')).toEqual({ url: 'http://example.com/cb', authorization: null });
  });
});
