const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * The longest line `logs` prints whole. A longer one (a line of hundreds of MiB, a `\r`-only progress bar that never
 * ends its line) is printed in pieces of at most this many bytes, each a line of its own, so the partial line held
 * while waiting for a newline stays bounded and no line exceeds what a JavaScript string can hold.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Turns a byte stream that arrives in arbitrary chunks into whole lines. A partial line at the end of a chunk is
 * held until its newline arrives, so a line is never split or printed twice — unless it grows past `maxLineBytes`:
 * then a piece of that size is cut off (at a character boundary) and handed out as a line. Bytes are decoded per
 * line, so a multi-byte character cut by a chunk boundary is reassembled (a newline byte never occurs inside
 * UTF-8), and invalid UTF-8 becomes U+FFFD instead of an error.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private held = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4)
      throw new RangeError(`a line of at most ${maxLineBytes} bytes cannot hold a character`);
  }

  /** The complete lines in `bytes` (plus what was held), without their line endings. */
  push(bytes: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl < 0 ? bytes.length : nl;
      while (this.held + (end - start) > this.maxLineBytes) {
        // A piece of the held bytes and the next ones, cut where a character starts (the cut may fall in either).
        const head = this.take();
        const byteAt = (i: number) => (i < head.length ? head[i] : bytes[start + i - head.length]) ?? 0;
        const cut = characterStart(byteAt, this.maxLineBytes);
        if (cut <= head.length) {
          lines.push(this.decoder.decode(head.subarray(0, cut)));
          this.pending = [Buffer.from(head.subarray(cut))];
          this.held = head.length - cut;
        } else {
          const taken = cut - head.length;
          lines.push(this.decoder.decode(Buffer.concat([head, bytes.subarray(start, start + taken)])));
          start += taken;
        }
      }
      if (nl < 0) break;
      this.pending.push(bytes.subarray(start, nl));
      lines.push(this.decode(this.take()));
      start = nl + 1;
    }
    if (start < bytes.length) {
      this.pending.push(Buffer.from(bytes.subarray(start)));
      this.held += bytes.length - start;
    }
    return lines;
  }

  /** The held partial line, if any (the file ended without a newline); the splitter is empty afterwards. */
  flush(): string | undefined {
    if (this.pending.length === 0) return undefined;
    return this.decode(this.take());
  }

  /** Forgets a held partial line (the file was truncated or rotated under it). */
  reset(): void {
    this.pending = [];
    this.held = 0;
  }

  get holding(): number {
    return this.held;
  }

  /** The held bytes as one buffer; the splitter holds nothing afterwards. */
  private take(): Buffer {
    const [only] = this.pending;
    const line = this.pending.length === 1 && only !== undefined ? only : Buffer.concat(this.pending);
    this.pending = [];
    this.held = 0;
    return line;
  }

  private decode(line: Buffer): string {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    return this.decoder.decode(line.subarray(0, end));
  }
}

/** `at`, or the start of the UTF-8 character the byte at `at` is inside of (`at` itself for invalid UTF-8). */
function characterStart(byteAt: (i: number) => number, at: number): number {
  const continues = (i: number) => (byteAt(i) & 0xc0) === 0x80;
  // Continuation bytes are 10xxxxxx; a character has at most three of them.
  let cut = at;
  while (cut > 0 && at - cut < 3 && continues(cut)) cut -= 1;
  return cut === 0 || continues(cut) ? at : cut;
}

/**
 * Where the last `lines` lines begin in `tail`, the final bytes of a file (`tail` ends at the end of the file;
 * `atFileStart` says whether it also begins at the file's start). A trailing partial line counts as a line, and a
 * line longer than `maxLineBytes` as the pieces it is printed in (at least one per `maxLineBytes` bytes), so the
 * lines from the start returned may make more than `lines` printed lines, never fewer: the caller keeps the last
 * ones. Returns undefined when `tail` holds fewer and more of the file must be read first.
 */
export function lastLinesStart(
  tail: Buffer,
  lines: number,
  atFileStart: boolean,
  maxLineBytes = MAX_LINE_BYTES,
): number | undefined {
  if (lines <= 0) return tail.length;
  // The newline that ends the file does not start another line.
  let end = tail.length > 0 && tail[tail.length - 1] === NEWLINE ? tail.length - 1 : tail.length;
  let found = 0;
  while (end > 0) {
    const nl = tail.lastIndexOf(NEWLINE, end - 1);
    if (nl < 0) break;
    found += Math.max(1, Math.ceil((end - nl - 1) / maxLineBytes));
    if (found >= lines) return nl + 1;
    end = nl;
  }
  return atFileStart ? 0 : undefined;
}
