import { describe, expect, it } from 'vitest';
import { firstErrorOffset, jsonSyntaxMessage } from './json-syntax-error.js';

describe('jsonSyntaxMessage', () => {
  const text = '{\n  "port": 8080,\n  "logLevel": "info",\n}\n';

  it('gives the same words for Node 20\'s message (an offset only) and Node 22\'s (with its own line and column)', () => {
    const node20 = 'Expected double-quoted property name in JSON at position 40';
    const node22 = 'Expected double-quoted property name in JSON at position 40 (line 4 column 1)';
    const expected = 'Expected double-quoted property name in JSON at position 40 (line 4, column 1)';
    expect(jsonSyntaxMessage(node20, text)).toBe(expected);
    expect(jsonSyntaxMessage(node22, text)).toBe(expected);
  });

  it('words the message of the Node version running the tests that way', () => {
    let message = '';
    try {
      JSON.parse(text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(jsonSyntaxMessage(message, text)).toBe('Expected double-quoted property name in JSON at position 40 (line 4, column 1)');
  });

  it('leaves a message without an offset and without a token as it is', () => {
    expect(jsonSyntaxMessage('Unexpected end of JSON input', '{"a":')).toBe('Unexpected end of JSON input');
  });

  // V8 names no offset for a value that starts with a character no JSON value starts with: it quoted
  // the text around it, newlines included, so `"logLevel": info` in a config file gave a message of
  // several lines that said nothing of where the mistake was.
  it('gives the line and column of an unexpected token, on one line', () => {
    const cases: Array<[string, string]> = [
      ['{\n  "port": 8080,\n  "logLevel": info\n}\n', "Unexpected token 'i' in JSON at position 32 (line 3, column 15)"],
      ['{\n  "publicUrl": \'http://x\'\n}', "Unexpected token ''' in JSON at position 17 (line 2, column 16)"],
      ['{"simulator": {"delayMs": TRUE}}', "Unexpected token 'T' in JSON at position 26 (line 1, column 27)"],
      ['port: 8080\nhost: 0.0.0.0\n', "Unexpected token 'p' in JSON at position 0 (line 1, column 1)"],
      ['[1, {"a": [true, null, -2.5e3, "\\u00e9"]}, x]', "Unexpected token 'x' in JSON at position 43 (line 1, column 44)"],
      // Where the text leaves the literal it began, the character V8 names.
      ['{"mmsReceipts": nope}', "Unexpected token 'o' in JSON at position 17 (line 1, column 18)"],
      ['{"mmsReceipts": falsy}', "Unexpected token 'y' in JSON at position 20 (line 1, column 21)"],
    ];
    for (const [text, expected] of cases) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(jsonSyntaxMessage(message, text)).toBe(expected);
    }
  });

  it('finds where a text stops being JSON, and null for JSON', () => {
    expect(firstErrorOffset('{"a": [1, 2], "b": {"c": "d"}}')).toBeNull();
    expect(firstErrorOffset('{"a": 1,}')).toBe(8);
    expect(firstErrorOffset('{"a" 1}')).toBe(5);
    expect(firstErrorOffset('"a\tb"')).toBe(0);
    expect(firstErrorOffset('[1] 2')).toBe(4);
    expect(firstErrorOffset('{"a": [1, 2')).toBeNull();
    expect(firstErrorOffset('['.repeat(200_000) + 'x')).toBe(200_000);
  });

  it('keeps a message it cannot place on one line', () => {
    expect(jsonSyntaxMessage('Unexpected token \'x\', "x\n" is not valid JSON', '{"a": 1}')).toBe('Unexpected token \'x\', "x\\n" is not valid JSON');
  });
});
