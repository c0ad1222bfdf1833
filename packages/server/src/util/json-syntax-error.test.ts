import { describe, expect, it } from 'vitest';
import { jsonSyntaxMessage } from './json-syntax-error.js';

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

  it('leaves a message without an offset as it is', () => {
    expect(jsonSyntaxMessage('Unexpected end of JSON input', '{"a":')).toBe('Unexpected end of JSON input');
    expect(jsonSyntaxMessage('Unexpected token \'x\', "{"a": x}" is not valid JSON', '{"a": x}')).toBe('Unexpected token \'x\', "{"a": x}" is not valid JSON');
  });
});
