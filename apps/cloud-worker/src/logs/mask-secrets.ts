import { Transform, type TransformCallback } from 'node:stream';

/** What a secret is replaced with in a stored log. */
export const MASK = '***';

/**
 * A stream that replaces every occurrence of the secrets with MASK. A secret may be split across chunks, so the
 * last (longest secret - 1) bytes of the text seen are held back until more arrives (or the end): any secret that
 * starts before them is then whole in what has been seen. Bytes, not characters, so a chunk that ends within a
 * multi-byte character changes nothing. Where secrets overlap, the earliest and then the longest is masked.
 */
export function maskSecrets(secrets: readonly string[]): Transform {
  const needles = [...new Set(secrets.filter((secret) => secret.length > 0))].map((secret) => Buffer.from(secret)).sort((a, b) => b.length - a.length);
  const holdBack = Math.max(0, ...needles.map((needle) => needle.length - 1));
  let carried = Buffer.alloc(0);
  const mask = Buffer.from(MASK);

  /** Masks what is safe to pass on (everything when `final`), pushes it, and keeps the rest. */
  function pass(stream: Transform, text: Buffer, final: boolean): void {
    const safeEnd = final ? text.length : Math.max(0, text.length - holdBack);
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const found = earliest(text, at);
      if (!found || found.index >= safeEnd) break;
      parts.push(text.subarray(at, found.index), mask);
      at = found.index + found.length;
    }
    const end = Math.max(at, safeEnd);
    parts.push(text.subarray(at, end));
    carried = Buffer.from(text.subarray(end));
    const out = Buffer.concat(parts);
    if (out.length > 0) stream.push(out);
  }

  function earliest(text: Buffer, from: number): { index: number; length: number } | undefined {
    let best: { index: number; length: number } | undefined;
    for (const needle of needles) {
      const index = text.indexOf(needle, from);
      // Longest first, so a tie keeps the longer secret.
      if (index >= 0 && (!best || index < best.index)) best = { index, length: needle.length };
    }
    return best;
  }

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (needles.length === 0) return callback(null, chunk);
      pass(this, Buffer.concat([carried, chunk]), false);
      callback();
    },
    flush(callback: TransformCallback) {
      if (carried.length > 0) pass(this, carried, true);
      callback();
    },
  });
}
