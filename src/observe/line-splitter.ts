const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Turns a byte stream that arrives in arbitrary chunks into whole lines. A partial line at the end of a chunk is
 * held until its newline arrives, so a line is never split or printed twice. Bytes are decoded per line, so a
 * multi-byte character cut by a chunk boundary is reassembled (a newline byte never occurs inside UTF-8), and
 * invalid UTF-8 becomes U+FFFD instead of an error.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });

  /** The complete lines in `bytes` (plus what was held), without their line endings. */
  push(bytes: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE, start); nl >= 0; nl = bytes.indexOf(NEWLINE, start)) {
      const piece = bytes.subarray(start, nl);
      const line = this.pending.length === 0 ? piece : Buffer.concat([...this.pending, piece]);
      this.pending = [];
      lines.push(this.decode(line));
      start = nl + 1;
    }
    if (start < bytes.length) this.pending.push(Buffer.from(bytes.subarray(start)));
    return lines;
  }

  /** The held partial line, if any (the file ended without a newline); the splitter is empty afterwards. */
  flush(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    return this.decode(line);
  }

  /** Forgets a held partial line (the file was truncated or rotated under it). */
  reset(): void {
    this.pending = [];
  }

  get holding(): number {
    return this.pending.reduce((sum, b) => sum + b.length, 0);
  }

  private decode(line: Buffer): string {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    return this.decoder.decode(line.subarray(0, end));
  }
}

/**
 * Where the last `lines` lines begin in `tail`, the final bytes of a file (`tail` ends at the end of the file;
 * `atFileStart` says whether it also begins at the file's start). A trailing partial line counts as a line.
 * Returns undefined when `tail` holds fewer lines and more of the file must be read first.
 */
export function lastLinesStart(tail: Buffer, lines: number, atFileStart: boolean): number | undefined {
  if (lines <= 0) return tail.length;
  // The newline that ends the file does not start another line.
  let end = tail.length > 0 && tail[tail.length - 1] === NEWLINE ? tail.length - 1 : tail.length;
  let found = 0;
  while (end > 0) {
    const nl = tail.lastIndexOf(NEWLINE, end - 1);
    if (nl < 0) break;
    found += 1;
    if (found === lines) return nl + 1;
    end = nl;
  }
  return atFileStart ? 0 : undefined;
}
