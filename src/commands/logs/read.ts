import { type AgentFiles, lastBytesRead } from "../../mesos/index.js";
import { lastLinesStart, MAX_LINE_BYTES } from "../../observe/line-splitter.js";

/** Bytes `[from, to)` of a sandbox file, in the agent's chunk size. */
async function readRange(
  files: AgentFiles,
  path: string,
  from: number,
  to: number,
  signal: AbortSignal,
): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < to) {
    const chunk = await files.read(path, offset, Math.min(files.chunkBytes, to - offset), signal);
    if (chunk.data.length === 0) break;
    parts.push(chunk.data);
    offset += chunk.data.length;
  }
  return Buffer.concat(parts);
}

export interface TailRead {
  /** The bytes of the last lines. */
  data: Buffer;
  /** The file size when it was read: where following continues. */
  end: number;
  /** The last bytes read, up to CHECK_BYTES, which end at `end`: following checks the file still holds them. */
  last: Buffer;
}

/**
 * At least the last `lines` lines of a sandbox file, read backwards from its end one chunk at a time until enough
 * newlines were seen: a large log is never downloaded whole for `--tail`. Lines longer than MAX_LINE_BYTES are
 * printed in pieces, so no more than `lines` such pieces are read back: a file of a few huge lines (or none) costs
 * at most `lines` × MAX_LINE_BYTES, not the whole file. The data starts where a line starts, unless that start is
 * further back than this: then where the read began, in the middle of a line longer than what was read. It may
 * hold more lines than asked for (a long line's earlier pieces): `lastLines` keeps the last ones.
 */
export async function readLastLines(
  files: AgentFiles,
  path: string,
  lines: number,
  signal: AbortSignal,
): Promise<TailRead> {
  const end = await files.size(path, signal);
  if (lines <= 0) return { data: Buffer.alloc(0), end, last: Buffer.alloc(0) };
  const budget = lines * MAX_LINE_BYTES;
  let start = end;
  let tail = Buffer.alloc(0);
  while (start > 0) {
    const from = Math.max(0, start - files.chunkBytes, end - budget);
    tail = Buffer.concat([await readRange(files, path, from, start, signal), tail]);
    start = from;
    const at = lastLinesStart(tail, lines, start === 0);
    if (at !== undefined) return { data: tail.subarray(at), end, last: lastBytesRead(Buffer.alloc(0), tail) };
    if (end - start >= budget) break;
  }
  return { data: tail, end, last: lastBytesRead(Buffer.alloc(0), tail) };
}

/** The whole file from `from`, chunk by chunk, handed to `sink` as it arrives; returns where it ended. */
export async function readAll(
  files: AgentFiles,
  path: string,
  sink: (data: Buffer) => void,
  signal: AbortSignal,
): Promise<number> {
  let end = 0;
  for await (const chunk of files.chunks(path, 0, signal)) {
    sink(chunk.data);
    end = chunk.offset + chunk.data.length;
  }
  return end;
}

/**
 * The last `wanted` of the lines a splitter gave for a tail read (`held` says whether it holds a final partial line
 * too, which is one of them and is printed later).
 */
export function lastLines(lines: readonly string[], wanted: number, held: boolean): readonly string[] {
  const keep = Math.max(0, wanted - (held ? 1 : 0));
  return keep === 0 ? [] : lines.slice(-keep);
}
