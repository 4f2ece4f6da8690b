import { describe, expect, it } from '@jest/globals';
import { ContainerLog, logTimestamp } from './container-log.js';

describe('container logs', () => {
  it('interleaves stdout and stderr by line and reads with tailLines and limitBytes', () => {
    const log = new ContainerLog();
    log.append('stdout', 'one\ntw');
    log.append('stderr', 'oops\n');
    log.append('stdout', 'o\nthree\n');
    expect(log.read()).toBe('one\noops\ntwo\nthree\n');
    expect(log.read({ tailLines: 2 })).toBe('two\nthree\n');
    expect(log.read({ tailLines: 0 })).toBe('');
    expect(log.read({ limitBytes: 6 })).toBe('one\noo');
  });

  it('prefixes RFC 3339 timestamps without trailing zeros', () => {
    expect(logTimestamp(Date.parse('2026-01-01T00:00:00.120Z'))).toBe('2026-01-01T00:00:00.12Z');
    expect(logTimestamp(Date.parse('2026-01-01T00:00:00.000Z'))).toBe('2026-01-01T00:00:00Z');
    const log = new ContainerLog();
    log.append('stdout', 'x\n');
    expect(log.read({ timestamps: true })).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z x\n$/);
  });

  it('follows until the container ends, flushing an unterminated last line', () => {
    const log = new ContainerLog();
    log.append('stdout', 'a\n');
    const seen: string[] = [];
    let ended = false;
    log.follow((text) => seen.push(text), () => (ended = true));
    log.append('stdout', 'b\nc');
    expect(ended).toBe(false);
    log.end();
    expect(seen.join('')).toBe('a\nb\nc');
    expect(ended).toBe(true);
  });

  it('stops following at limitBytes', () => {
    const log = new ContainerLog();
    const seen: string[] = [];
    let ended = false;
    log.follow((text) => seen.push(text), () => (ended = true), { limitBytes: 3 });
    log.append('stdout', 'ab\ncd\n');
    expect(seen.join('')).toBe('ab\n');
    expect(ended).toBe(true);
  });
});
