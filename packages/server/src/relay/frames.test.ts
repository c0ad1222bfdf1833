import { describe, expect, it } from 'vitest';
import { classifyFrame, sniffId } from './frames.js';

describe('classifyFrame', () => {
  it('takes NULs and lone surrogates in params as U+FFFD, and echoes the id as sent', () => {
    const frame = classifyFrame('{"jsonrpc":"2.0","id":"r\\u0000","method":"messaging.send","params":{"body":"a\\u0000b","tags":["\\ud800"],"emoji":"\\ud83d\\ude00"}}');
    expect(frame).toEqual({ kind: 'request', id: 'r\u0000', method: 'messaging.send', params: { body: 'a\uFFFDb', tags: ['\uFFFD'], emoji: '😀' } });
  });

  it('leaves params without such escapes as parsed', () => {
    expect(classifyFrame('{"jsonrpc":"2.0","id":1,"method":"signalwire.ping","params":{"x":"\\u00e9"}}')).toEqual({ kind: 'request', id: 1, method: 'signalwire.ping', params: { x: 'é' } });
  });
});

describe('sniffId (the id of a frame refused before parsing: too large, too deep)', () => {
  const big = 'x'.repeat(600);
  it('reads the frame’s own id, a string or a whole number', () => {
    expect(sniffId(`{"jsonrpc":"2.0","id":"req-1","method":"signalwire.ping","params":{"p":"${big}"}}`)).toBe('req-1');
    expect(sniffId('{"jsonrpc":"2.0","id":1.5,"method":"m"')).toBe(1.5);
    expect(sniffId('{"id" : 7e3 ,"method":"m"')).toBe(7000);
    expect(sniffId('{"jsonrpc":"2.0","method":"m","params":{"a":[1,{"b":2}]},"id":"late"}')).toBe('late');
  });

  it('never takes an "id" inside params or inside a string, and answers null rather than guess', () => {
    expect(sniffId('{"jsonrpc":"2.0","method":"messaging.send","params":{"id":"someone-else","body":"x"},"id":"mine"}')).toBe('mine');
    expect(sniffId(`{"jsonrpc":"2.0","method":"messaging.send","params":{"id":"someone-else","body":"${big}`)).toBeNull();
    expect(sniffId('{"method":"\\"id\\":\\"fake\\"","id":3}')).toBe(3);
    expect(sniffId('{"jsonrpc":"2.0","id":{"x":1}}')).toBeNull();
    expect(sniffId('{"jsonrpc":"2.0","id":12')).toBeNull();
    expect(sniffId('[{"id":"in-a-batch"}]')).toBeNull();
  });
});
