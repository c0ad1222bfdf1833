import { describe, expect, it } from 'vitest';
import { validateCustomVariables } from './custom-variables.js';

const keys = (r: { errors: ReadonlyArray<{ key: string }> }) => r.errors.map((e) => e.key);

describe('validateCustomVariables', () => {
  it.each([undefined, null])('treats %j as no custom variables', (value) => {
    expect(validateCustomVariables(value)).toEqual({ value: null, errors: [] });
  });

  it('returns a valid object as given, names case-sensitive', () => {
    const vars = { order: '42', Order: 'other', _x9: 'y', a: 'ü'.repeat(512) };
    expect(validateCustomVariables(vars)).toEqual({ value: vars, errors: [] });
  });

  it('accepts an empty object', () => {
    expect(validateCustomVariables({})).toEqual({ value: {}, errors: [] });
  });

  it.each([[['a']], ['text'], [42], [true]])('refuses %j as not an object', (value) => {
    expect(validateCustomVariables(value)).toMatchObject({ value: null, errors: [{ key: 'CUSTOM_VARIABLES_NOT_OBJECT', attribute: 'custom_variables' }] });
  });

  it('accepts 20 variables and refuses 21', () => {
    const vars = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`v${i}`, 'x']));
    expect(validateCustomVariables(vars(20)).errors).toEqual([]);
    expect(validateCustomVariables(vars(21))).toMatchObject({ value: null, errors: [{ key: 'TOO_MANY_CUSTOM_VARIABLES' }] });
  });

  it('keeps a variable named __proto__ (and constructor) as an own entry', () => {
    const vars = JSON.parse('{"__proto__":"x","constructor":"y"}') as Record<string, unknown>;
    const r = validateCustomVariables(vars);
    expect(r.errors).toEqual([]);
    expect(Object.keys(r.value!)).toEqual(['__proto__', 'constructor']);
    expect(JSON.stringify(r.value)).toBe('{"__proto__":"x","constructor":"y"}');
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it('answers thousands of bad names with one entry for the count and at most 20 more', () => {
    const r = validateCustomVariables(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`${i}`, 1])));
    expect(r.value).toBeNull();
    expect(keys(r)).toEqual(['TOO_MANY_CUSTOM_VARIABLES', ...Array<string>(20).fill('CUSTOM_VARIABLE_NAME_INVALID')]);
  });

  it.each(['1abc', 'a-b', 'with space', '', 'é', 'a.b'])('refuses the name %j and names it in the message', (name) => {
    const r = validateCustomVariables({ [name]: 'x' });
    expect(keys(r)).toEqual(['CUSTOM_VARIABLE_NAME_INVALID']);
    expect(r.errors[0]!.message).toContain(`"${name}"`);
    expect(r.value).toBeNull();
  });

  it.each(['signalwire_id', 'SW_x', 'sw_', 'Rtc_session', 'INTERNAL_flag'])('refuses the reserved name %j whatever its case', (name) => {
    expect(keys(validateCustomVariables({ [name]: 'x' }))).toEqual(['CUSTOM_VARIABLE_NAME_RESERVED']);
  });

  it.each(['sw', 'swx_a', 'my_sw_value', 'rtc', 'internalx'])('accepts %j, which only looks like a reserved prefix', (name) => {
    expect(validateCustomVariables({ [name]: 'x' }).errors).toEqual([]);
  });

  it.each([[''], [42], [null], [{ nested: 'x' }], [['x']]])('refuses the value %j', (value) => {
    expect(keys(validateCustomVariables({ name: value }))).toEqual(['CUSTOM_VARIABLE_VALUE_INVALID']);
  });

  it('limits values to 1024 bytes of UTF-8, not characters', () => {
    expect(validateCustomVariables({ v: 'a'.repeat(1024) }).errors).toEqual([]);
    expect(keys(validateCustomVariables({ v: 'a'.repeat(1025) }))).toEqual(['CUSTOM_VARIABLE_VALUE_TOO_LONG']);
    // 'é' is two bytes: 513 of them are 1026 bytes though only 513 characters.
    expect(keys(validateCustomVariables({ v: 'é'.repeat(513) }))).toEqual(['CUSTOM_VARIABLE_VALUE_TOO_LONG']);
  });

  it('reports one problem per bad variable, in order, and no value', () => {
    const r = validateCustomVariables({ good: 'x', '9': 'y', sw_a: 'z', empty: '', long: 'x'.repeat(2000) });
    // '9' is an integer-like key, so JavaScript puts it first.
    expect(keys(r)).toEqual(['CUSTOM_VARIABLE_NAME_INVALID', 'CUSTOM_VARIABLE_NAME_RESERVED', 'CUSTOM_VARIABLE_VALUE_INVALID', 'CUSTOM_VARIABLE_VALUE_TOO_LONG']);
    expect(r.value).toBeNull();
  });
});
