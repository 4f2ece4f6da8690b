import { Transform, type TransformCallback } from 'node:stream';

/** What a secret is replaced with in a stored log. */
export const MASK = '***';

/**
 * Replaces every occurrence of the secrets with MASK in text that arrives in pieces. A secret may be split
 * across pieces, so the last (longest secret - 1) bytes seen are held back until more arrives (or the end): any
 * secret that starts before them is then whole in what has been seen. Secrets hold no line break (else nothing is
 * released early), so everything up to the last line break seen is released at once: a followed log shows its
 * lines as they come, and the result is the same whatever the pieces. Bytes, not characters, so a piece that ends
 * within a multi-byte character changes nothing. Where secrets overlap, the earliest and then the longest is masked.
 */
export class SecretMasker {
  private readonly needles: Buffer[];
  private readonly holdBack: number;
  private readonly releaseAtLineBreak: boolean;
  private carried = Buffer.alloc(0);

  constructor(secrets: readonly string[]) {
    this.needles = [...new Set(secrets.filter((secret) => secret.length > 0))].map((secret) => Buffer.from(secret)).sort((a, b) => b.length - a.length);
    this.holdBack = Math.max(0, ...this.needles.map((needle) => needle.length - 1));
    this.releaseAtLineBreak = this.needles.every((needle) => !needle.includes(0x0a));
  }

  /** The masked text that is safe to pass on now. */
  push(chunk: Buffer): Buffer {
    if (this.needles.length === 0) return chunk;
    return this.pass(Buffer.concat([this.carried, chunk]), false);
  }

  /** The rest, at the end of the text. */
  end(): Buffer {
    return this.carried.length > 0 ? this.pass(this.carried, true) : Buffer.alloc(0);
  }

  private pass(text: Buffer, final: boolean): Buffer {
    const lineEnd = this.releaseAtLineBreak ? text.lastIndexOf(0x0a) + 1 : 0;
    const safeEnd = final ? text.length : Math.max(lineEnd, text.length - this.holdBack);
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const found = this.earliest(text, at);
      if (!found || found.index >= safeEnd) break;
      parts.push(text.subarray(at, found.index), MASK_BYTES);
      at = found.index + found.length;
    }
    const end = Math.max(at, safeEnd);
    parts.push(text.subarray(at, end));
    this.carried = Buffer.from(text.subarray(end));
    return Buffer.concat(parts);
  }

  private earliest(text: Buffer, from: number): { index: number; length: number } | undefined {
    let best: { index: number; length: number } | undefined;
    for (const needle of this.needles) {
      const index = text.indexOf(needle, from);
      // Longest first, so a tie keeps the longer secret.
      if (index >= 0 && (!best || index < best.index)) best = { index, length: needle.length };
    }
    return best;
  }
}

const MASK_BYTES = Buffer.from(MASK);

/** SecretMasker as a stream. */
export function maskSecrets(secrets: readonly string[]): Transform {
  const masker = new SecretMasker(secrets);
  const pushNonEmpty = (stream: Transform, out: Buffer) => {
    if (out.length > 0) stream.push(out);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pushNonEmpty(this, masker.push(chunk));
      callback();
    },
    flush(callback: TransformCallback) {
      pushNonEmpty(this, masker.end());
      callback();
    },
  });
}
