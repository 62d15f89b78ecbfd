/**
 * Checkpoints: the whole state of a run in one file, `<out>/checkpoint/state.tsck`, replaced
 * atomically (written to a temporary name in the same directory, flushed to disk, renamed over
 * the old one), so a run killed at any moment leaves either the previous checkpoint or the new
 * one, never a torn file.
 *
 * Layout: the magic line `TESSERA-CHECKPOINT 1\n`, a little-endian uint32 byte length, a JSON
 * header (run metadata and the table of arrays), zero padding to a multiple of 8, then the raw
 * arrays, each at an 8-byte aligned offset. Arrays keep their exact bits, which is what makes a
 * resumed run end bit for bit where an uninterrupted one ends.
 */
import { InputError } from "../data/errors.ts";
import type { Checkpoint, CheckpointArray } from "./checkpoint_format.ts";

export type { Checkpoint, CheckpointArray } from "./checkpoint_format.ts";

const MAGIC = "TESSERA-CHECKPOINT 1\n";
const FILE = "state.tsck";
const TYPES = { Float32Array, Float64Array, Int32Array, Uint32Array } as const;
type TypeName = keyof typeof TYPES;

interface ArrayEntry {
  name: string;
  type: TypeName;
  offset: number;
  length: number;
}

/** The checkpoint directory of an output directory. */
export function checkpointDirectory(out: string): string {
  return `${out.replace(/[\\/]+$/, "")}/checkpoint`;
}

/** Writes `checkpoint` into `dir` (created if needed), replacing the previous one atomically. */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const entries: ArrayEntry[] = [];
  let offset = 0;
  for (const [name, array] of Object.entries(checkpoint.arrays)) {
    entries.push({ name, type: array.constructor.name as TypeName, offset, length: array.length });
    offset += align8(array.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ meta: checkpoint.meta, entries }));
  const start = align8(MAGIC.length + 4 + header.length);
  const bytes = new Uint8Array(start + offset);
  bytes.set(new TextEncoder().encode(MAGIC));
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length, true);
  bytes.set(header, MAGIC.length + 4);
  for (const entry of entries) {
    const array = checkpoint.arrays[entry.name];
    bytes.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      start + entry.offset,
    );
  }
  const temporary = `${dir}/${FILE}.tmp-${Deno.pid}`;
  const file = await Deno.open(temporary, { write: true, create: true, truncate: true });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(temporary, `${dir}/${FILE}`);
}

/**
 * Reads the checkpoint of `dir`, which may be the checkpoint directory itself or an output
 * directory holding `checkpoint/`.
 *
 * @throws {InputError} when there is no checkpoint or it is not one Tessera wrote.
 */
export async function loadCheckpoint(dir: string): Promise<Checkpoint & { dir: string }> {
  const candidates = [dir, checkpointDirectory(dir)];
  for (const candidate of candidates) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(`${candidate}/${FILE}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        continue;
      }
      throw error;
    }
    return { ...parse(bytes, `${candidate}/${FILE}`), dir: candidate };
  }
  throw new InputError(
    `Cannot resume from ${dir}: there is no checkpoint in it (expected ${dir}/${FILE} or ` +
      `${checkpointDirectory(dir)}/${FILE}, written by a run with --checkpoint-every or ` +
      "stopped with Ctrl-C).",
    dir,
  );
}

/**
 * The options a checkpoint's run was started with, read from its header alone (the launcher
 * needs them to derive the resumed run's grants), or null when `dir` holds no readable
 * checkpoint: the resumed run itself then reports why.
 */
export async function checkpointOptions(dir: string): Promise<Record<string, unknown> | null> {
  for (const candidate of [dir, checkpointDirectory(dir)]) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(`${candidate}/${FILE}`, { read: true });
    } catch {
      continue;
    }
    try {
      const head = new Uint8Array(MAGIC.length + 4);
      if ((await file.read(head)) !== head.length) return null;
      if (new TextDecoder().decode(head.subarray(0, MAGIC.length)) !== MAGIC) return null;
      const header = new Uint8Array(new DataView(head.buffer).getUint32(MAGIC.length, true));
      let read = 0;
      while (read < header.length) {
        const n = await file.read(header.subarray(read));
        if (n === null) return null;
        read += n;
      }
      const { meta } = JSON.parse(new TextDecoder().decode(header));
      return (meta?.options ?? null) as Record<string, unknown> | null;
    } catch {
      return null;
    } finally {
      file.close();
    }
  }
  return null;
}

function parse(bytes: Uint8Array, file: string): Checkpoint {
  const bad = (why: string) =>
    new InputError(`Cannot resume from ${file}: it is not a Tessera checkpoint (${why}).`, file);
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    throw bad("wrong magic line");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > bytes.length) throw bad("truncated header");
  const { meta, entries } = JSON.parse(
    new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, headerEnd)),
  ) as { meta: Record<string, unknown>; entries: ArrayEntry[] };
  const start = align8(headerEnd);
  const arrays: Record<string, CheckpointArray> = {};
  for (const entry of entries) {
    const type = TYPES[entry.type];
    const begin = start + entry.offset;
    const end = begin + entry.length * type.BYTES_PER_ELEMENT;
    if (!type || end > bytes.length) throw bad(`array "${entry.name}" is truncated`);
    // Copy so every array owns an aligned buffer of its own.
    arrays[entry.name] = new type(bytes.slice(begin, end).buffer);
  }
  return { meta, arrays };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
