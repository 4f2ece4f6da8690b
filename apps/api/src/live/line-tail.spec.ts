import { describe, expect, it } from '@jest/globals';
import { lastLines, LineTail } from './line-tail.js';

const tailOf = (pieces: string[], lines: number) => {
  const tail = new LineTail(lines);
  for (const piece of pieces) tail.push(Buffer.from(piece));
  return tail.text().toString();
};

describe('lastLines', () => {
  it.each([
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc', 2, 'b\nc'],
    ['a\nb\nc\n', 3, 'a\nb\nc\n'],
    ['a\nb\nc\n', 10, 'a\nb\nc\n'],
    ['a\nb\nc\n', 1, 'c\n'],
    ['\n\n', 1, '\n'],
    ['', 5, ''],
  ])('of %j, %i: %j', (text, count, expected) => {
    expect(lastLines(Buffer.from(text), count).toString()).toBe(expected);
  });
});

describe('LineTail', () => {
  const text = Array.from({ length: 50 }, (_, line) => `line ${line}\n`).join('');

  it('keeps the same last lines whatever the pieces', () => {
    for (const size of [1, 3, 7, 64, text.length]) {
      const pieces = text.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g'))!;
      expect({ size, tail: tailOf(pieces, 3) }).toEqual({ size, tail: 'line 47\nline 48\nline 49\n' });
    }
  });

  it('drops what it cannot need: memory stays near the lines kept', () => {
    const tail = new LineTail(2);
    for (let line = 0; line < 10_000; line++) tail.push(Buffer.from(`line ${line}\n`));
    expect(tail.text().toString()).toBe('line 9998\nline 9999\n');
    expect((tail as unknown as { pieces: unknown[] }).pieces.length).toBeLessThanOrEqual(4);
  });

  it('keeps a long line that spans many pieces', () => {
    expect(tailOf(['a\n', 'bb', 'bb', 'bb', '\nc'], 2)).toBe('bbbbbb\nc');
  });
});
