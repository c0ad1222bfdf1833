import { describe, expect, it } from 'vitest';
import { InvalidSetting, parsers, SETTINGS } from './settings.js';

const specs = Object.entries(SETTINGS) as Array<[string, (typeof SETTINGS)[keyof typeof SETTINGS]]>;

describe('the settings table', () => {
  it('gives every setting a unique config key, environment variable and flag', () => {
    const unique = (values: Array<string | null>) => {
      const present = values.filter((v): v is string => v !== null);
      expect(new Set(present).size).toBe(present.length);
    };
    unique(specs.map(([, s]) => s.key));
    unique(specs.map(([, s]) => s.env));
    unique(specs.map(([, s]) => s.flag));
  });

  it('names environment variables SWITCHBOARD_* and flags in kebab-case, and describes each setting', () => {
    for (const [, s] of specs) {
      expect(s.env).toMatch(/^SWITCHBOARD_[A-Z0-9_]+$/);
      if (s.flag !== null) expect(s.flag).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(s.description.trim()).not.toBe("");
    }
  });

  it('has defaults its own parsers accept', () => {
    for (const [name, s] of specs) {
      expect({ name, value: (s.parse as (raw: unknown) => unknown)(s.default) }).toEqual({ name, value: s.default });
    }
  });
});

describe('parsers', () => {
  it('int accepts whole numbers in range, as numbers or trimmed strings', () => {
    const p = parsers.int(1, 10);
    expect(p(1)).toBe(1);
    expect(p(' 10 ')).toBe(10);
    for (const bad of [0, 11, 1.5, '1.5', '1e1', '', 'ten', null, true, '0x5']) expect(() => p(bad)).toThrow(InvalidSetting);
    expect(() => p(0)).toThrow('must be a whole number from 1 to 10');
    expect(parsers.int(-5, 5)('-5')).toBe(-5);
  });

  it('bool accepts booleans and the usual words, case-insensitively', () => {
    for (const yes of [true, '1', 'true', 'TRUE', 'yes', 'On', ' on ']) expect(parsers.bool(yes)).toBe(true);
    for (const no of [false, '0', 'false', 'No', 'OFF']) expect(parsers.bool(no)).toBe(false);
    for (const bad of ['', 'maybe', 1, null]) expect(() => parsers.bool(bad)).toThrow('must be true or false');
  });

  it('string trims and refuses empty or non-string values', () => {
    expect(parsers.string('  a b ')).toBe('a b');
    for (const bad of ['', '   ', 5, null]) expect(() => parsers.string(bad)).toThrow('must be a non-empty string');
  });

  it('optionalString maps empty (or only spaces) to null', () => {
    expect(parsers.optionalString(undefined)).toBeNull();
    expect(parsers.optionalString(null)).toBeNull();
    expect(parsers.optionalString('')).toBeNull();
    expect(parsers.optionalString('  \t')).toBeNull();
    expect(parsers.optionalString(' x ')).toBe('x');
    expect(() => parsers.optionalString(5)).toThrow('must be a string');
  });

  it('publicUrl takes an http(s) base URL (a path too), unset when empty, and refuses anything else', () => {
    const parse = SETTINGS.publicUrl.parse;
    expect(parse('https://sms.example.com')).toBe('https://sms.example.com');
    expect(parse(' http://10.0.0.5:8080/sms/ ')).toBe('http://10.0.0.5:8080/sms/');
    expect(parse(' ')).toBeNull();
    for (const bad of ['sms.example.com', 'ftp://sms.example.com', 'https://', 'https://sms.example.com/?a=1', 'https://sms.example.com/#x']) {
      expect(() => parse(bad), bad).toThrow('must be an http:// or https:// base URL');
    }
  });

  it('oneOf accepts listed values only, in any case, and lists them in the error', () => {
    const p = parsers.oneOf('a', 'b');
    expect(p(' b ')).toBe('b');
    expect(() => p('c')).toThrow('must be one of a, b');
    expect(() => p('c')).toThrow(InvalidSetting);
    // LOG_LEVEL=DEBUG, as other tools take it, is the value it names.
    expect(p('A')).toBe('a');
  });

  it('list splits comma-separated text or takes an array, dropping blanks', () => {
    expect(parsers.list('a, b,,c ')).toEqual(['a', 'b', 'c']);
    expect(parsers.list([' a', 'b ', ''])).toEqual(['a', 'b']);
    expect(parsers.list('')).toEqual([]);
    expect(() => parsers.list(5)).toThrow('must be a comma-separated list');
  });

  it('https.hostnames takes host names (a *. wildcard too) and IP addresses, and names the entries that are neither', () => {
    const parse = SETTINGS.tlsHostnames.parse;
    expect(parse('sms.example.com, *.example.com,10.0.0.5,::1,my-box')).toEqual(['sms.example.com', '*.example.com', '10.0.0.5', '::1', 'my-box']);
    expect(parse('')).toEqual([]);
    expect(() => parse('a b,https://x.example.com,ok.example')).toThrow('must list host names or IP addresses, separated by commas; "a b", "https://x.example.com" are not');
    for (const bad of ['-x.example', 'x..example', 'x.example:8443', `${'a'.repeat(64)}.example`]) expect(() => parse(bad), bad).toThrow(InvalidSetting);
  });

  it('numbers treats empty as unset', () => {
    expect(SETTINGS.numbers.parse('')).toBeNull();
    expect(SETTINGS.numbers.parse(null)).toBeNull();
    expect(SETTINGS.numbers.parse('+15550001111,+15550002222')).toEqual(['+15550001111', '+15550002222']);
  });
});

describe('bootstrap.projectId', () => {
  const parse = (raw: unknown) => SETTINGS.projectId.parse(raw as never);

  it('takes UUIDs, Twilio-shaped sids and short names', () => {
    for (const id of ['01a2496e-9919-7000-abb5-31db04d7c833', 'AC0123456789abcdef0123456789abcdef', 'p1', 'team_a.dev']) expect(parse(id)).toBe(id);
    expect(parse('')).toBeNull();
  });

  // "a:b" started a project no client could use: Basic auth ends the user name at the first colon.
  it('refuses an id that cannot be a Basic auth user name or a URL path segment', () => {
    for (const id of ['a:b', 'a/b', 'has space', 'a?b', 'x'.repeat(65), 'é']) expect(() => parse(id), id).toThrow(InvalidSetting);
    expect(() => parse('a:b')).toThrow(/letters, digits/);
  });
});
