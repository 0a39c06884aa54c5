/**
 * The audit trail: an append-only JSON-lines file that says, per time window, how often each rule
 * changed something at each field path (`batch[].properties.email`), never what the value was.
 *
 * Every line carries the SHA-256 of the previous line (`prev`) and its own (`hash`, over the
 * canonical JSON of the line without `hash`), and is itself written as canonical JSON, so editing
 * a byte, removing, inserting or reordering a line breaks the chain at that line. When the file
 * would exceed `max_bytes` it is renamed to `FILE.000001` (then `.000002`, …) and a new FILE begins
 * with a `rotate` line naming the previous file and chaining to its last line.
 * `phi-proxy audit verify FILE.* FILE` walks the chain across files.
 *
 * Line types: `start` (the proxy opened the trail), `findings` (a window's counts), `shadow` (a
 * window's differences between the shadow and the active rules), `rotate`, `stop` (clean shutdown).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Detector } from '../detectors/types';
import type { Plan } from '../engine/plan';

export const GENESIS = '0'.repeat(64);
export const DEFAULT_WINDOW_SECONDS = 60;
export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const ROTATED_DIGITS = 6;

/** JSON with object keys sorted (UTF-16 order), no whitespace, undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(object).sort()) {
    if (object[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of a line without its `hash` member. */
export function lineHash(line: Record<string, unknown>): string {
  const { hash: _omit, ...rest } = line;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Path templates

const SAFE_SEGMENT = /^[A-Za-z0-9_$ :/-]{1,64}$/;
const LONG_DIGITS = /\d{4,}/;
const TEMPLATE_MEMO_LIMIT = 10_000;

/** Every detector a plan can run (global and scoped): what could find an identifier in a key. */
export function planDetectors(...plans: (Plan | undefined)[]): Detector[] {
  const out = new Set<Detector>();
  for (const plan of plans) {
    if (plan === undefined) continue;
    for (const b of plan.global) out.add(b.detector);
    for (const bindings of plan.scopedBindings.values()) for (const b of bindings) out.add(b.detector);
  }
  return [...out];
}

/**
 * Finding path → path template: array indices become `[]` (`batch[3].properties.email` →
 * `batch[].properties.email`), and any key that could itself be an identifier becomes `*`.
 * Property names can hold identifiers (`{"jane@example.com": true}`; the engine renames such
 * keys, but a finding's path names the key as it came in), so a key is kept only when it looks
 * like a property name (letters, digits, `_ $ : / -` and spaces, at most 64 characters, no run
 * of four digits) and none of the plan's detectors finds anything in it, alone or as part of the
 * whole path (a key with dots spans several segments).
 */
export class PathTemplater {
  private readonly memo = new Map<string, string>();
  private static readonly CTX = Object.freeze({ key: '' });

  constructor(private readonly detectors: readonly Detector[]) {}

  template(raw: string): string {
    const cached = this.memo.get(raw);
    if (cached !== undefined) return cached;
    const result = this.build(raw);
    if (this.memo.size >= TEMPLATE_MEMO_LIMIT) this.memo.clear();
    this.memo.set(raw, result);
    return result;
  }

  private spans(text: string): { start: number; end: number }[] {
    const spans: { start: number; end: number }[] = [];
    for (const d of this.detectors) {
      try {
        if (d.prefilter(text, PathTemplater.CTX)) spans.push(...d.find(text, PathTemplater.CTX));
      } catch {
        spans.push({ start: 0, end: text.length }); // a detector that fails cannot clear a key
      }
    }
    return spans;
  }

  private build(raw: string): string {
    const text = raw.replace(/\[\d+\]/g, '[]');
    // Segments with their positions: `a.b[][]` → a, b (each followed by its `[]`s).
    const segments: { name: string; start: number; end: number; suffix: string }[] = [];
    let offset = 0;
    for (const part of text.split('.')) {
      const m = /^(.*?)((?:\[\])*)$/s.exec(part)!;
      segments.push({ name: m[1]!, start: offset, end: offset + m[1]!.length, suffix: m[2]! });
      offset += part.length + 1;
    }
    const wholeSpans = this.spans(text);
    return segments
      .map((seg) => {
        if (seg.name === '') return seg.suffix;
        const unsafe =
          !SAFE_SEGMENT.test(seg.name) ||
          LONG_DIGITS.test(seg.name) ||
          wholeSpans.some((s) => s.start < seg.end && s.end > seg.start) ||
          this.spans(seg.name).length > 0;
        return (unsafe ? '*' : seg.name) + seg.suffix;
      })
      .join('.');
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface AuditOptions {
  /** The live file; rotated files sit beside it as FILE.000001, FILE.000002, … */
  file: string;
  windowSeconds?: number;
  maxBytes?: number;
  /** Hash of the active rule set (phi_proxy_ruleset_info). */
  ruleset: string;
  /** Hash of the shadow rule set, when one runs. */
  shadowRuleset?: string;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
  /** Window timers (default true; tests call `rollover()` themselves). */
  timers?: boolean;
  /** A line could not be written (the counts of that window are lost; the chain stays valid). */
  onError?: (err: Error) => void;
}

type Counts = Map<string, number>;
const SEP = '\u0000';

function bump(map: Counts, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** Map of `a\0b\0c` keys → `{a: {b: {c: n}}}`. */
function nest(map: Counts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, n] of map) {
    const parts = key.split(SEP);
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) node = (node[parts[i]!] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = n;
  }
  return out;
}

/** The last complete line of a file (reads backwards from the end), or undefined. */
function lastLine(fd: number, size: number): { text: string; complete: boolean } | undefined {
  if (size === 0) return undefined;
  const chunk = 64 * 1024;
  let end = size;
  const buffers: Buffer[] = [];
  let position: number;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  const complete = last[0] === 0x0a;
  if (complete) end = size - 1;
  position = end;
  while (position > 0) {
    const start = Math.max(0, position - chunk);
    const buf = Buffer.alloc(position - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) {
      buffers.unshift(buf.subarray(nl + 1));
      break;
    }
    buffers.unshift(buf);
    position = start;
  }
  return { text: Buffer.concat(buffers).toString('utf8'), complete };
}

export class AuditTrail {
  readonly file: string;
  private readonly windowMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  private fd: number;
  private size: number;
  private prev: string;
  private windowStart: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly findings: Counts = new Map();
  private readonly events: Counts = new Map();
  private readonly differences: Counts = new Map();
  private readonly shadowEvents: Counts = new Map();

  /** After a hot reload: later lines carry the new rule-set hash. */
  setRuleset(ruleset: string): void {
    this.options.ruleset = ruleset;
  }

  constructor(private readonly options: AuditOptions) {
    this.file = path.resolve(options.file);
    this.windowMs = (options.windowSeconds ?? DEFAULT_WINDOW_SECONDS) * 1000;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.now = options.now ?? Date.now;
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o750 });
    this.fd = fs.openSync(this.file, 'a+', 0o640);
    this.size = fs.fstatSync(this.fd).size;
    this.prev = GENESIS;
    const tail = lastLine(this.fd, this.size);
    let note: string | undefined;
    if (tail !== undefined) {
      let hash: unknown;
      try {
        hash = tail.complete ? (JSON.parse(tail.text) as { hash?: unknown }).hash : undefined;
      } catch {
        hash = undefined;
      }
      if (typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) this.prev = hash;
      else {
        // A torn or foreign last line: keep that file as it is (verify will show where) and start anew.
        note = 'the previous file does not end with a complete audit line';
        this.rotate(note);
      }
    }
    const now = this.now();
    this.windowStart = Math.floor(now / this.windowMs) * this.windowMs;
    if (note === undefined) {
      this.write({ v: 1, type: 'start', time: new Date(now).toISOString(), ruleset: options.ruleset, shadow_ruleset: options.shadowRuleset, window_seconds: this.windowMs / 1000 });
    }
    if (options.timers !== false) this.schedule();
  }

  /** One finding of the active rules: `template` comes from PathTemplater, never a raw path. */
  finding(route: string, ruleId: string, template: string): void {
    bump(this.findings, route + SEP + ruleId + SEP + template, 1);
  }

  /** A request's event totals. */
  eventCounts(route: string, eventsIn: number, forwarded: number, dropped: number, refused: number): void {
    if (eventsIn > 0) bump(this.events, route + SEP + 'in', eventsIn);
    if (forwarded > 0) bump(this.events, route + SEP + 'forwarded', forwarded);
    if (dropped > 0) bump(this.events, route + SEP + 'dropped', dropped);
    if (refused > 0) bump(this.events, route + SEP + 'refused', refused);
  }

  /** A difference between the shadow rules and the active rules at one path template. */
  shadowDifference(route: string, set: 'candidate' | 'active', ruleId: string, template: string, n: number): void {
    bump(this.differences, route + SEP + set + SEP + ruleId + SEP + template, n);
  }

  shadowEvent(route: string, outcome: string): void {
    bump(this.shadowEvents, route + SEP + outcome, 1);
  }

  /** Closes the current window if its end has passed (the timer calls this). */
  rollover(): void {
    const boundary = Math.floor(this.now() / this.windowMs) * this.windowMs;
    if (boundary > this.windowStart) {
      this.flushWindow(boundary);
      this.windowStart = boundary;
    }
  }

  /** Writes what the current window has so far, ends the trail with a `stop` line, closes the file. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.now();
    this.flushWindow(Math.max(now, this.windowStart));
    this.write({ v: 1, type: 'stop', time: new Date(now).toISOString(), ruleset: this.options.ruleset });
    this.closed = true;
    try {
      fs.fsyncSync(this.fd);
    } catch {
      // fsync is best effort (some filesystems refuse it)
    }
    fs.closeSync(this.fd);
  }

  private schedule(): void {
    const now = this.now();
    const next = (Math.floor(now / this.windowMs) + 1) * this.windowMs;
    this.timer = setTimeout(() => {
      this.rollover();
      if (!this.closed) this.schedule();
    }, Math.max(1, next - now + 5));
    this.timer.unref();
  }

  private flushWindow(end: number): void {
    const window = { window_start: new Date(this.windowStart).toISOString(), window_end: new Date(end).toISOString() };
    if (this.findings.size > 0 || this.events.size > 0) {
      this.write({ v: 1, type: 'findings', ...window, ruleset: this.options.ruleset, events: nest(this.events), findings: nest(this.findings) });
    }
    if (this.differences.size > 0 || this.shadowEvents.size > 0) {
      this.write({ v: 1, type: 'shadow', ...window, ruleset: this.options.ruleset, shadow_ruleset: this.options.shadowRuleset, events: nest(this.shadowEvents), differences: nest(this.differences) });
    }
    this.findings.clear();
    this.events.clear();
    this.differences.clear();
    this.shadowEvents.clear();
  }

  private write(body: Record<string, unknown>, rotating = false): void {
    if (this.closed) return;
    const line = { ...body, prev: this.prev };
    const hash = lineHash(line);
    const text = canonicalJson({ ...line, hash }) + '\n';
    const bytes = Buffer.byteLength(text);
    try {
      if (!rotating && this.size > 0 && this.size + bytes > this.maxBytes) {
        this.rotate();
        return this.write(body, true); // a line larger than max_bytes still goes in, alone
      }
      fs.writeSync(this.fd, text);
      this.size += bytes;
      this.prev = hash;
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }

  /** FILE → FILE.00000N; the new FILE starts with a `rotate` line chained to the old last line. */
  private rotate(note?: string): void {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    let highest = 0;
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(base + '.')) continue;
      const suffix = name.slice(base.length + 1);
      if (/^\d+$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
    const rotated = `${this.file}.${String(highest + 1).padStart(ROTATED_DIGITS, '0')}`;
    try {
      fs.fsyncSync(this.fd);
    } catch {
      // best effort
    }
    fs.closeSync(this.fd);
    fs.renameSync(this.file, rotated);
    this.fd = fs.openSync(this.file, 'a+', 0o640);
    this.size = 0;
    this.write({ v: 1, type: 'rotate', time: new Date(this.now()).toISOString(), ruleset: this.options.ruleset, previous_file: path.basename(rotated), note }, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Verifying

export interface VerifyResult {
  ok: boolean;
  files: number;
  lines: number;
  lastHash: string | undefined;
  /** The first broken line. */
  error?: { file: string; line: number; message: string };
}

/** Walks the chain through `files`, in the order given (oldest first). */
export function verifyAuditFiles(files: readonly string[]): VerifyResult {
  let prev: string | undefined;
  let lines = 0;
  const fail = (file: string, line: number, message: string): VerifyResult => ({ ok: false, files: files.length, lines, lastHash: prev, error: { file, line, message } });
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      return fail(file, 0, `cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (text === '') return fail(file, 1, 'empty file');
    const rows = text.split('\n');
    const complete = rows[rows.length - 1] === '';
    if (complete) rows.pop();
    for (let i = 0; i < rows.length; i++) {
      const n = i + 1;
      const raw = rows[i]!;
      if (i === rows.length - 1 && !complete) return fail(file, n, 'incomplete last line (no newline): the file was cut or appended to by hand');
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return fail(file, n, 'not JSON: the line was altered');
      }
      if (line === null || typeof line !== 'object' || Array.isArray(line) || typeof line.hash !== 'string') return fail(file, n, 'not an audit line (no hash)');
      if (canonicalJson(line) !== raw) return fail(file, n, 'not in canonical form: the line was altered');
      if (lineHash(line) !== line.hash) return fail(file, n, 'hash does not match the line: the line was altered');
      if (prev === undefined) {
        // The first line verified: a fresh trail, or a rotated file whose predecessor was not given.
        if (!(line.type === 'start' && line.prev === GENESIS) && line.type !== 'rotate') {
          return fail(file, n, 'the chain does not begin here (a line before it is missing, or the files are out of order)');
        }
      } else if (line.prev !== prev) {
        const message =
          i === 0
            ? `does not chain to the last line of ${path.basename(files[f - 1]!)}${typeof line.previous_file === 'string' ? ` (it follows ${line.previous_file})` : ''}: a file is missing, altered or out of order`
            : `does not chain to line ${n - 1}: a line was removed, inserted or altered`;
        return fail(file, n, message);
      }
      prev = line.hash;
      lines++;
    }
  }
  return { ok: true, files: files.length, lines, lastHash: prev };
}
