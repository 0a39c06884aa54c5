/** Line-by-line NDJSON input for the CLI commands, with errors that never quote the input. */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export interface Line {
  number: number;
  text: string;
}

export async function* readLines(file: string | undefined, stdin: NodeJS.ReadableStream): AsyncGenerator<Line> {
  const input = file === undefined || file === '-' ? stdin : fs.createReadStream(file);
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let number = 0;
  for await (const text of rl) {
    number++;
    yield { number, text };
  }
}

/**
 * JSON.parse's own messages quote the input ("… "jane@…" is not valid JSON"), so callers get only
 * the position of the problem.
 */
export function parseJsonLine(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const position = /position (\d+)/.exec((err as Error).message);
    return { ok: false, reason: position ? `not valid JSON (at character ${Number(position[1]) + 1})` : 'not valid JSON' };
  }
}

/** Writes honouring backpressure, so a large file is not buffered in memory. */
export async function writeOut(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Output lines gathered into chunks of about 64 KB: one stream write per event (a syscall each on
 * a pipe or file) cost more than scrubbing a small event. Call `flush()` at the end.
 */
export class ChunkedOutput {
  private pending = '';
  constructor(private readonly out: Writable, private readonly chunkChars = 64 * 1024) {}

  async write(text: string): Promise<void> {
    this.pending += text;
    if (this.pending.length >= this.chunkChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    await writeOut(this.out, text);
  }
}
