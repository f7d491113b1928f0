import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { closedFraction, collect, openFraction, wholeNumber } from '../../src/commands/option-parsers.js';

describe('option parsers', () => {
  it('whole numbers: range, and an empty value is not 0', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(wholeNumber(1, 10)('10')).toBe(10);
    expect(() => wholeNumber(0)('')).toThrow(InvalidArgumentError);
    expect(() => wholeNumber(1)('0')).toThrow('expected a whole number >= 1, got "0"');
    expect(() => wholeNumber(32, 4096)('8')).toThrow('expected a whole number in 32..4096, got "8"');
    expect(() => wholeNumber(0)('2.5')).toThrow(/whole number/);
  });

  it('fractions: open (0, 1) and closed [0, 1]', () => {
    expect(openFraction('0.2')).toBe(0.2);
    expect(() => openFraction('0')).toThrow('expected a number between 0 and 1, got "0"');
    expect(() => openFraction('1')).toThrow(InvalidArgumentError);
    expect(closedFraction('0')).toBe(0);
    expect(closedFraction('1')).toBe(1);
    expect(() => closedFraction(' ')).toThrow(InvalidArgumentError);
    expect(() => closedFraction('1.5')).toThrow('expected a number in [0, 1], got "1.5"');
  });

  it('collects repeated options in order', () => {
    expect(collect('b.json', collect('a.json', []))).toEqual(['a.json', 'b.json']);
  });
});
