/**
 * Text written as UTF-8 bytes into one growing buffer: for output of tens of thousands of lines (`ps` on a whole
 * cluster), where joining strings would make a string per piece and then copy them all again.
 */
export class TextBytes {
  private buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  text(text: string): void {
    this.reserve(text.length);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        // Not ASCII: the rest of the text goes through the encoder.
        this.length = at;
        const rest = text.slice(i);
        this.reserve(Buffer.byteLength(rest));
        this.length += this.buffer.write(rest, this.length);
        return;
      }
      buffer[at++] = code;
    }
    this.length = at;
  }

  spaces(count: number): void {
    if (count <= 0) return;
    this.reserve(count);
    const end = this.length + count;
    // Table padding is a few spaces at a time: a loop costs less than a call into fill.
    if (count < 32) for (let at = this.length; at < end; at++) this.buffer[at] = 0x20;
    else this.buffer.fill(0x20, this.length, end);
    this.length = end;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Drops what was written from `start` on, and returns it as text. */
  takeFrom(start: number): string {
    const text = this.buffer.toString("utf8", start, this.length);
    this.length = start;
    return text;
  }

  /** The byte written at `index` (from 0). */
  at(index: number): number {
    return this.buffer[index] ?? 0;
  }

  toString(): string {
    return this.buffer.toString("utf8", 0, this.length);
  }

  private reserve(more: number): void {
    if (this.length + more <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + more));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
