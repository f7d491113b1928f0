import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { checkBudgetSeconds, closedFraction, collect, LIMITS, limited, MAX_REPEATED, MAX_THREADS, openFraction, rangeText, wholeNumber, withRange } from '../../src/commands/option-parsers.js';

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

describe('numeric flag bounds (LIMITS)', () => {
  it('are data: each parser refuses values outside its range and says the range', () => {
    expect(limited('seeds')('50')).toBe(50);
    expect(() => limited('seeds')('1000000000')).toThrow('expected a whole number in 1..50, got "1000000000"');
    expect(() => limited('threads')(String(MAX_THREADS + 1))).toThrow(`in 1..${MAX_THREADS}`);
    expect(MAX_THREADS).toBeLessThanOrEqual(64);
    expect(limited('val-fraction')('0.2')).toBe(0.2);
    expect(() => limited('val-fraction')('0.95')).toThrow('expected a number in 0.01..0.9, got "0.95"');
    expect(() => limited('batch')('1e5')).toThrow(/1\.\.1024/);
    expect(() => limited('steps')('Infinity')).toThrow(/1\.\.1_000_000/);
    expect(() => limited('seed')('-1')).toThrow(/0\.\.2\^32-1/);
    for (const [name, limit] of Object.entries(LIMITS)) expect(limit.min, name).toBeLessThanOrEqual(limit.max);
  });

  it('--help text carries the range', () => {
    expect(withRange('repeat with K seeds', 'seeds')).toBe('repeat with K seeds (1..50)');
    expect(rangeText(LIMITS.sample)).toBe('1..10_000_000');
  });

  it('--budget above a day is refused with a fix', () => {
    expect(checkBudgetSeconds(86_400, '24h')).toBe(86_400);
    expect(() => checkBudgetSeconds(99_999 * 3600, '99999h')).toThrow('--budget 99999h is longer than the limit of 24h');
  });

  it('repeatable file options are bounded', () => {
    let files: string[] = [];
    for (let i = 0; i < MAX_REPEATED; i++) files = collect(`r${i}.json`, files);
    expect(() => collect('one-more.json', files)).toThrow(`at most ${MAX_REPEATED} files`);
  });
});
