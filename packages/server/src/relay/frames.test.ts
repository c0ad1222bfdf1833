import { describe, expect, it } from 'vitest';
import { topLevelMembers } from './frame-members.js';
import { classifyFrame, errorFrame, MAX_ID_LENGTH, resultFrame, RpcError, sniffId } from './frames.js';

const ping = (id: string) => `{"jsonrpc":"2.0","id":${id},"method":"signalwire.ping","params":{}}`;
/** The id an answer to `frame` carries, as its text: what the client reads back. */
const answeredId = (frame: string) => {
  const f = classifyFrame(frame);
  if (f.kind === 'response') throw new Error('an answer is not answered');
  const text = f.kind === 'request' ? resultFrame(f.id, {}) : errorFrame(f.id, f.error);
  return /^\{"jsonrpc":"2\.0","id":(.*?),"(?:result|error)"/.exec(text)![1];
};

describe('classifyFrame', () => {
  it('takes NULs and lone surrogates in params as U+FFFD, and echoes the id as sent', () => {
    const frame = classifyFrame('{"jsonrpc":"2.0","id":"r\\u0000","method":"messaging.send","params":{"body":"a\\u0000b","tags":["\\ud800"],"emoji":"\\ud83d\\ude00"}}');
    expect(frame).toEqual({ kind: 'request', id: '"r\\u0000"', method: 'messaging.send', params: { body: 'a\uFFFDb', tags: ['\uFFFD'], emoji: '😀' } });
  });

  it('leaves params without such escapes as parsed', () => {
    expect(classifyFrame('{"jsonrpc":"2.0","id":1,"method":"signalwire.ping","params":{"x":"\\u00e9"}}')).toEqual({ kind: 'request', id: '1', method: 'signalwire.ping', params: { x: 'é' } });
  });

  it('echoes a number id by its digits as sent: never rounded past 2^53, nor rewritten', () => {
    for (const id of ['9007199254740993', '12345678901234567890123', '1.0', '-0', '1e400', '1.5', '0.1e-2']) expect(answeredId(ping(id))).toBe(id);
    // The answer is JSON whatever the id: a client reading it gets the id it sent.
    expect(JSON.parse(resultFrame('"a\\"b"', {})).id).toBe('a"b');
  });

  it('echoes every string id, the empty one and escapes included, by its value', () => {
    expect(answeredId(ping('""'))).toBe('""');
    expect(answeredId(ping('"\\u0041b"'))).toBe('"Ab"');
    expect(answeredId(ping('"s\\ud800"'))).toBe('"s\\ud800"');
    expect(classifyFrame(ping('""'))).toMatchObject({ kind: 'request', id: '""' });
  });

  it('refuses an id longer than 256 characters with -32600 that still carries it', () => {
    const long = `"${'a'.repeat(MAX_ID_LENGTH + 1)}"`;
    const frame = classifyFrame(ping(long));
    expect(frame).toMatchObject({ kind: 'invalid', id: long, error: { code: -32600, data: { max_id_length: MAX_ID_LENGTH } } });
    expect(classifyFrame(ping(`"${'a'.repeat(MAX_ID_LENGTH)}"`)).kind).toBe('request');
    expect(classifyFrame(ping('1'.repeat(MAX_ID_LENGTH + 1)))).toMatchObject({ kind: 'invalid', id: '1'.repeat(MAX_ID_LENGTH + 1) });
  });

  it('refuses ids that are not strings or numbers, and requests without one, with -32600 and id null', () => {
    for (const id of ['null', 'true', '{"a":1}', '[1]']) {
      expect(classifyFrame(ping(id))).toMatchObject({ kind: 'invalid', id: null, error: { code: -32600, message: expect.stringContaining('string or a number') } });
    }
    expect(classifyFrame('{"jsonrpc":"2.0","method":"signalwire.ping"}')).toMatchObject({ kind: 'invalid', id: null, error: { code: -32600, message: expect.stringContaining('needs an "id"') } });
  });

  it('refuses a request naming a member twice (JSON parsers disagree on which counts), without an id when the id is the one', () => {
    expect(classifyFrame('{"jsonrpc":"2.0","id":"d","id":"e","method":"signalwire.ping"}')).toMatchObject({ kind: 'invalid', id: null, error: { code: -32600, message: expect.stringContaining('"id" is given more than once') } });
    expect(classifyFrame('{"jsonrpc":"2.0","id":"d","i\\u0064":"e","method":"signalwire.ping"}')).toMatchObject({ kind: 'invalid', id: null });
    expect(classifyFrame('{"jsonrpc":"2.0","id":"d","method":"a","method":"signalwire.ping"}')).toMatchObject({ kind: 'invalid', id: '"d"', error: { code: -32600 } });
    // Inside params the last one counts, as JSON.parse has it.
    expect(classifyFrame('{"jsonrpc":"2.0","id":"d","method":"m","params":{"a":1,"a":2}}')).toMatchObject({ kind: 'request', params: { a: 2 } });
  });

  it('refuses params that are neither an object nor an array with -32600; null is taken as absent', () => {
    for (const params of ['"x"', '1', 'true']) {
      expect(classifyFrame(`{"jsonrpc":"2.0","id":"p","method":"signalwire.ping","params":${params}}`)).toMatchObject({ kind: 'invalid', id: '"p"', error: { code: -32600 } });
    }
    expect(classifyFrame('{"jsonrpc":"2.0","id":"p","method":"signalwire.ping","params":null}')).toMatchObject({ kind: 'request', params: null });
    expect(classifyFrame('{"jsonrpc":"2.0","id":"p","method":"signalwire.ping","params":[1]}')).toMatchObject({ kind: 'request', params: [1] });
  });

  it('never answers an answer, whatever its id', () => {
    expect(classifyFrame('{"jsonrpc":"2.0","id":"a","id":"b","result":{}}')).toMatchObject({ kind: 'response' });
    expect(classifyFrame('{"id":1e400,"error":{}}')).toEqual({ kind: 'response', id: null, ok: false, result: {} });
  });

  it('writes valid JSON answers for whatever result', () => {
    expect(JSON.parse(resultFrame('"x"', undefined))).toEqual({ jsonrpc: '2.0', id: 'x', result: null });
    expect(JSON.parse(errorFrame(null, new RpcError(-32600, 'm', { a: 1 })))).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'm', data: { a: 1 } } });
  });
});

describe('sniffId (the id of a frame refused before parsing: too large, too deep)', () => {
  const big = 'x'.repeat(600);
  it('reads the frame’s own id, a string or a whole number, as written', () => {
    expect(sniffId(`{"jsonrpc":"2.0","id":"req-1","method":"signalwire.ping","params":{"p":"${big}"}}`)).toBe('"req-1"');
    expect(sniffId('{"jsonrpc":"2.0","id":1.5,"method":"m"')).toBe('1.5');
    expect(sniffId('{"id" : 7e3 ,"method":"m"')).toBe('7e3');
    expect(sniffId('{"id":9007199254740993,"method":"m"')).toBe('9007199254740993');
    expect(sniffId('{"jsonrpc":"2.0","method":"m","params":{"a":[1,{"b":2}]},"id":"late"}')).toBe('"late"');
  });

  it('never takes an "id" inside params or inside a string, and answers null rather than guess', () => {
    expect(sniffId('{"jsonrpc":"2.0","method":"messaging.send","params":{"id":"someone-else","body":"x"},"id":"mine"}')).toBe('"mine"');
    expect(sniffId(`{"jsonrpc":"2.0","method":"messaging.send","params":{"id":"someone-else","body":"${big}`)).toBeNull();
    expect(sniffId('{"method":"\\"id\\":\\"fake\\"","id":3}')).toBe('3');
    expect(sniffId('{"jsonrpc":"2.0","id":{"x":1}}')).toBeNull();
    expect(sniffId('{"jsonrpc":"2.0","id":12')).toBeNull();
    expect(sniffId('[{"id":"in-a-batch"}]')).toBeNull();
    expect(sniffId(`{"id":"${'a'.repeat(MAX_ID_LENGTH + 1)}"}`)).toBeNull();
  });
});

describe('topLevelMembers', () => {
  it('lists the members as written and says whether the object closed', () => {
    expect(topLevelMembers(' { "a" : [1, "]", {"b":"}"}] , "c\\"d":"x\\\\" , "n":-1.5e3 } ')).toEqual({
      members: [
        { name: 'a', value: '[1, "]", {"b":"}"}]' },
        { name: 'c"d', value: '"x\\\\"' },
        { name: 'n', value: '-1.5e3' },
      ],
      complete: true,
    });
    expect(topLevelMembers('{}')).toEqual({ members: [], complete: true });
    for (const cut of ['{"a":1', '{"a":"x', '{"a":[1', '{"a"', '{"a":,', 'x', '']) expect(topLevelMembers(cut).complete).toBe(false);
  });
});
