/**
 * The last `lines` lines of a text that arrives in pieces, kept in bounded memory: whole pieces are dropped from
 * the front once the rest holds enough lines. A last line without its line break counts as a line.
 */
export class LineTail {
  private pieces: Array<{ piece: Buffer; breaks: number }> = [];
  /** Line breaks in every piece but the first. */
  private breaksAfterFirst = 0;

  constructor(private readonly lines: number) {}

  push(piece: Buffer): void {
    if (piece.length === 0) return;
    const counted = { piece, breaks: breaks(piece) };
    if (this.pieces.length > 0) this.breaksAfterFirst += counted.breaks;
    this.pieces.push(counted);
    // With more than `lines` line breaks after it, the first piece cannot hold any part of a kept line.
    while (this.pieces.length > 1 && this.breaksAfterFirst > this.lines) {
      this.pieces.shift();
      this.breaksAfterFirst -= this.pieces[0].breaks;
    }
  }

  /** The kept lines. */
  text(): Buffer {
    return lastLines(Buffer.concat(this.pieces.map(({ piece }) => piece)), this.lines);
  }
}

function breaks(piece: Buffer): number {
  let count = 0;
  for (let at = piece.indexOf(0x0a); at >= 0; at = piece.indexOf(0x0a, at + 1)) count++;
  return count;
}

/** The last `count` lines of the text (a final line break ends the last line, it does not start another). */
export function lastLines(text: Buffer, count: number): Buffer {
  let at = text.length - (text[text.length - 1] === 0x0a ? 1 : 0);
  for (let found = 0; found < count; found++) {
    at = at > 0 ? text.lastIndexOf(0x0a, at - 1) : -1;
    if (at < 0) return text;
  }
  return text.subarray(at + 1);
}
