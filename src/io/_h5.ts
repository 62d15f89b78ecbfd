/**
 * The thin layer over h5wasm that the CXI reader and the writers share: opening files with
 * clear errors, raw hyperslab reads into typed arrays, complex numbers as h5py stores them
 * (a compound of `r` and `i`), and chunk-by-chunk writing.
 *
 * h5wasm's high-level `value` turns every compound element into a JavaScript array; for frames
 * and complex images we go one level down to `get_dataset_data`, which copies the selected
 * hyperslab straight into the WebAssembly heap.
 */
import h5wasm, { type Dataset, type File, type Group } from "h5wasm/node";
import process from "node:process";
import { InputError } from "../data/errors.ts";

type H5Module = Awaited<typeof h5wasm.ready>;

// Emscripten copies the whole environment into the module while it starts (for getenv). Under
// Deno's per-variable `--allow-env=A,B` that enumeration throws, so HDF5 is shown an empty
// environment until it has started. This runs when this module is evaluated, before the
// WebAssembly instantiation (which needs the event loop) can finish.
const environment = Object.getOwnPropertyDescriptor(process, "env")!;
Object.defineProperty(process, "env", { value: {}, configurable: true, writable: true });
const started = h5wasm.ready.finally(() => Object.defineProperty(process, "env", environment));

let modulePromise: Promise<H5Module> | null = null;

/** Loads h5wasm once; HDF5 errors then throw (with HDF5's own trace) instead of printing. */
export function h5(): Promise<H5Module> {
  modulePromise ??= started.then((module) => {
    module.activate_throwing_error_handler();
    return module;
  });
  return modulePromise;
}

export type { Dataset, File, Group };

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Opens an HDF5 file for reading. Throws {@link InputError} for a missing file, a file that is
 * not HDF5 (the signature is looked for at 0, 512, 1024, ... as HDF5 allows a user block) and a
 * truncated one.
 */
export async function openForReading(path: string): Promise<File> {
  await h5();
  let size: number;
  try {
    size = (await Deno.stat(path)).size;
  } catch {
    throw new InputError(`Cannot read ${path}: the file does not exist or is not readable.`, path);
  }
  const superblock = await findSuperblock(path, size);
  if (superblock === null) {
    throw new InputError(
      `Cannot read ${path}: it is not an HDF5 file (no HDF5 signature found); expected a CXI ` +
        `file, which is HDF5.`,
      path,
    );
  }
  // Checked here rather than from HDF5's error: h5wasm formats HDF5's errors through a temporary
  // file, which a run allowed to write only its output directory may not create.
  const expected = await storedEndOfFile(path, superblock);
  if (expected !== null && size < expected) throw truncatedError(path, size, expected);
  try {
    return new h5wasm.File(path, "r");
  } catch (error) {
    const text = String(error);
    const truncated = /truncated file: eof = (\d+).*stored_eof = (\d+)/.exec(text);
    if (truncated) throw truncatedError(path, Number(truncated[1]), Number(truncated[2]));
    // Without write access to the temporary directory h5wasm cannot format HDF5's own trace.
    const why = /NotCapable|Requires write access/.test(text)
      ? "HDF5 could not open it; the file may be damaged"
      : lastHdf5Message(text);
    throw new InputError(`Cannot read ${path} as HDF5: ${why}`, path);
  }
}

function truncatedError(path: string, size: number, expected: number): InputError {
  return new InputError(
    `Cannot read ${path}: the file is truncated (${size} bytes on disk, ${expected} ` +
      `expected); it was probably not copied or written completely.`,
    path,
  );
}

/** Byte offset of the HDF5 superblock (0, 512, 1024, ... as a user block allows), or null. */
async function findSuperblock(path: string, size: number): Promise<number | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const bytes = new Uint8Array(SIGNATURE.length);
    for (let offset = 0; offset + bytes.length <= size; offset = offset ? offset * 2 : 512) {
      await file.seek(offset, Deno.SeekMode.Start);
      if ((await file.read(bytes)) === bytes.length && SIGNATURE.every((b, i) => bytes[i] === b)) {
        return offset;
      }
    }
    return null;
  } finally {
    file.close();
  }
}

/**
 * The file size the superblock records (base address + end-of-file address), or null for a
 * superblock version this does not know. Layouts from the HDF5 file format specification:
 * versions 0 and 1 hold the end-of-file address after the base and free-space addresses at
 * byte 24 (28 for version 1); versions 2 and 3 after the base and extension addresses at 12.
 */
async function storedEndOfFile(path: string, superblock: number): Promise<number | null> {
  const file = await Deno.open(path, { read: true });
  try {
    const head = new Uint8Array(64);
    await file.seek(superblock, Deno.SeekMode.Start);
    const got = await file.read(head);
    if (got === null || got < 16) return null;
    const view = new DataView(head.buffer);
    const version = head[8];
    const offsets = version <= 1 ? head[13] : head[9];
    if (offsets !== 8 && offsets !== 4) return null;
    const at = version === 0 ? 24 : version === 1 ? 28 : version <= 3 ? 12 : -1;
    if (at < 0 || at + 3 * offsets > got) return null;
    const read = (i: number) =>
      offsets === 8 ? Number(view.getBigUint64(i, true)) : view.getUint32(i, true);
    const base = read(at);
    const eof = read(at + 2 * offsets);
    return base + eof;
  } finally {
    file.close();
  }
}

/** The innermost (most specific) line of an HDF5 error trace. */
export function lastHdf5Message(trace: string): string {
  const lines = [...trace.matchAll(/in (\w+)\(\): ([^\n]*)/g)];
  return lines.length ? lines[lines.length - 1][2].trim() : trace.split("\n")[0];
}

/** The dataset at `path` (soft links followed), or null when nothing or a group is there. */
export function datasetAt(file: Group, path: string): Dataset | null {
  try {
    const entity = file.get(path);
    return entity instanceof h5wasm.Dataset ? entity : null;
  } catch {
    // A path through a dataset (`/a/data/x`) makes HDF5 raise rather than answer "absent".
    return null;
  }
}

/** The group at `path`, creating it and its parents when missing. */
export function ensureGroup(file: Group, path: string): Group {
  let group = file;
  for (const piece of path.split("/").filter(Boolean)) {
    const next = group.get(piece);
    group = next instanceof h5wasm.Group ? next : group.create_group(piece);
  }
  return group;
}

/** Shape of a dataset; [] for a scalar. */
export function shapeOf(dataset: Dataset): number[] {
  return dataset.shape ?? [];
}

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_COMPOUND = 6;

/** Whether a dataset holds plain integers or floats. */
export function isNumeric(dataset: Dataset): boolean {
  const t = dataset.metadata.type;
  return t === H5T_INTEGER || t === H5T_FLOAT;
}

/** Whether a dataset holds strings. */
export function isString(dataset: Dataset): boolean {
  return dataset.metadata.type === H5T_STRING;
}

/**
 * Reads the hyperslab `[start, start + count)` of every axis (the whole dataset when `start` and
 * `count` are omitted) into the WebAssembly heap and hands `visit` a view of its raw
 * little-endian bytes. The view is valid only during the call: no copy is made, so streaming
 * readers convert straight out of the heap.
 */
export async function readHyperslab<T>(
  dataset: Dataset,
  region: { start?: number[]; count?: number[] },
  visit: (raw: Uint8Array) => T,
): Promise<T> {
  const module = await h5();
  const shape = shapeOf(dataset);
  const counts = region.count ?? shape;
  const elements = counts.reduce((a, b) => a * b, 1);
  const bytes = elements * dataset.metadata.size;
  const pointer = module._malloc(Math.max(bytes, 1));
  if (!pointer) throw new RangeError(`Cannot allocate ${bytes} bytes in the HDF5 heap`);
  try {
    module.get_dataset_data(
      dataset.file_id,
      dataset.path,
      shape.length ? counts.map(BigInt) : null,
      shape.length ? (region.start ?? shape.map(() => 0)).map(BigInt) : null,
      shape.length ? shape.map(() => 1n) : null,
      BigInt(pointer),
    );
    return visit(module.HEAPU8.subarray(pointer, pointer + bytes));
  } finally {
    module._free(pointer);
  }
}

/** Reads a hyperslab (or the whole dataset) as a copy of its raw little-endian bytes. */
export function readRaw(dataset: Dataset, start?: number[], count?: number[]) {
  return readHyperslab(dataset, { start, count }, (raw) => raw.slice());
}

/** Converts raw bytes of a numeric dataset's type into float64 (or writes into `out`). */
export function toFloat64(dataset: Dataset, raw: Uint8Array): Float64Array {
  const { type, size, signed } = dataset.metadata;
  const source = typedView(raw, type, size, signed);
  const out = new Float64Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = Number(source[i]);
  return out;
}

/** A typed view of raw bytes of an integer or float HDF5 type. */
export function typedView(
  raw: Uint8Array,
  type: number,
  size: number,
  signed: boolean,
): ArrayLike<number | bigint> {
  const buffer = raw.buffer as ArrayBuffer;
  const n = raw.byteLength / size;
  const at = raw.byteOffset;
  if (type === H5T_FLOAT) {
    if (size === 4) return new Float32Array(buffer, at, n);
    if (size === 8) return new Float64Array(buffer, at, n);
  } else if (type === H5T_INTEGER) {
    if (size === 1) return signed ? new Int8Array(buffer, at, n) : new Uint8Array(buffer, at, n);
    if (size === 2) return signed ? new Int16Array(buffer, at, n) : new Uint16Array(buffer, at, n);
    if (size === 4) return signed ? new Int32Array(buffer, at, n) : new Uint32Array(buffer, at, n);
    if (size === 8) {
      return signed ? new BigInt64Array(buffer, at, n) : new BigUint64Array(buffer, at, n);
    }
  }
  throw new TypeError(`Unsupported HDF5 number type (class ${type}, ${size} bytes)`);
}

/** Reads a whole numeric dataset as float64. */
export async function readNumbers(dataset: Dataset): Promise<Float64Array> {
  return toFloat64(dataset, await readRaw(dataset));
}

/** Reads a string dataset (scalar or the first element). */
export function readString(dataset: Dataset): string {
  const value = dataset.value;
  return String(Array.isArray(value) ? value[0] : value);
}

/**
 * Whether a dataset holds complex numbers as h5py writes them: a compound of two float
 * members named `r` and `i` (also accepted: `real`/`imag`, `re`/`im`).
 */
export function isComplex(dataset: Dataset): boolean {
  return complexMembers(dataset) !== null;
}

function complexMembers(dataset: Dataset) {
  const meta = dataset.metadata;
  if (meta.type !== H5T_COMPOUND || !meta.compound_type) return null;
  const members = meta.compound_type.members;
  const find = (names: string[]) => members.find((m) => names.includes(m.name.toLowerCase()));
  const re = find(["r", "real", "re"]);
  const im = find(["i", "imag", "im"]);
  const ok = (m: typeof re) => m && m.type === H5T_FLOAT && (m.size === 4 || m.size === 8);
  return ok(re) && ok(im) ? { re: re!, im: im!, size: meta.size } : null;
}

/** Reads a complex (compound r/i) or real dataset as interleaved float32 (re, im) pairs. */
export async function readComplex(dataset: Dataset): Promise<Float32Array> {
  const raw = await readRaw(dataset);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const members = complexMembers(dataset);
  if (!members) {
    const real = toFloat64(dataset, raw);
    const out = new Float32Array(2 * real.length);
    for (let i = 0; i < real.length; i++) out[2 * i] = real[i];
    return out;
  }
  const { re, im, size } = members;
  const n = raw.byteLength / size;
  const out = new Float32Array(2 * n);
  const get = (offset: number, bytes: number) =>
    bytes === 4 ? view.getFloat32(offset, true) : view.getFloat64(offset, true);
  for (let k = 0; k < n; k++) {
    out[2 * k] = get(k * size + re.offset, re.size);
    out[2 * k + 1] = get(k * size + im.offset, im.size);
  }
  return out;
}
