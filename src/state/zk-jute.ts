/**
 * Jute, ZooKeeper's record encoding: big-endian ints and longs, one-byte booleans, and length-prefixed
 * buffers, strings and vectors where a length of -1 means null.
 */

export class JuteWriter {
  private readonly chunks: Buffer[] = [];

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.chunks.push(b);
    return this;
  }

  long(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.chunks.push(b);
    return this;
  }

  bool(value: boolean): this {
    this.chunks.push(Buffer.from([value ? 1 : 0]));
    return this;
  }

  buffer(value: Buffer | undefined): this {
    if (value === undefined) return this.int(-1);
    this.int(value.length);
    this.chunks.push(value);
    return this;
  }

  string(value: string): this {
    return this.buffer(Buffer.from(value, "utf8"));
  }

  strings(values: readonly string[]): this {
    this.int(values.length);
    for (const value of values) this.string(value);
    return this;
  }

  raw(value: Buffer): this {
    this.chunks.push(value);
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The record with ZooKeeper's 4-byte length frame in front. */
  framed(): Buffer {
    const body = this.toBuffer();
    const head = Buffer.alloc(4);
    head.writeInt32BE(body.length);
    return Buffer.concat([head, body]);
  }
}

/** Thrown when a reply is shorter than the record it should hold. */
export class JuteError extends Error {}

export class JuteReader {
  private offset = 0;
  constructor(private readonly data: Buffer) {}

  get remaining(): number {
    return this.data.length - this.offset;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.data.length) throw new JuteError("truncated ZooKeeper reply");
  }

  int(): number {
    this.need(4);
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  long(): bigint {
    this.need(8);
    const value = this.data.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  bool(): boolean {
    this.need(1);
    return this.data[this.offset++] !== 0;
  }

  buffer(): Buffer | undefined {
    const length = this.int();
    if (length < 0) return undefined;
    this.need(length);
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return Buffer.from(value);
  }

  string(): string {
    return this.buffer()?.toString("utf8") ?? "";
  }

  /** Everything not read yet. */
  rest(): Buffer {
    const value = Buffer.from(this.data.subarray(this.offset));
    this.offset = this.data.length;
    return value;
  }

  strings(): string[] {
    const count = this.int();
    const values: string[] = [];
    for (let i = 0; i < count; i++) values.push(this.string());
    return values;
  }
}
