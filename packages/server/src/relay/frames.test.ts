import { describe, expect, it } from 'vitest';
import { classifyFrame } from './frames.js';

describe('classifyFrame', () => {
  it('takes NULs and lone surrogates in params as U+FFFD, and echoes the id as sent', () => {
    const frame = classifyFrame('{"jsonrpc":"2.0","id":"r\\u0000","method":"messaging.send","params":{"body":"a\\u0000b","tags":["\\ud800"],"emoji":"\\ud83d\\ude00"}}');
    expect(frame).toEqual({ kind: 'request', id: 'r\u0000', method: 'messaging.send', params: { body: 'a\uFFFDb', tags: ['\uFFFD'], emoji: '😀' } });
  });

  it('leaves params without such escapes as parsed', () => {
    expect(classifyFrame('{"jsonrpc":"2.0","id":1,"method":"signalwire.ping","params":{"x":"\\u00e9"}}')).toEqual({ kind: 'request', id: 1, method: 'signalwire.ping', params: { x: 'é' } });
  });
});
