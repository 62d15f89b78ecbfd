/**
 * Builds small CXI files for the tests with h5wasm directly, in the byte layout h5py gives
 * (float32 or int32 frames chunked per frame or contiguous, complex64 as a compound of `r`/`i`
 * float32, float64 scalars, translations in metres, a variable-length UTF-8 probe string).
 * Every part can be left out or replaced to make a broken file.
 */
import h5wasm from "h5wasm/node";
import { ensureGroup, h5 } from "../../src/io/_h5.ts";

/** A typed array with the shape and HDF5 dtype to write, or a complex array. */
export type Part =
  | { data: Float32Array | Float64Array | Int32Array | Uint8Array; shape: number[]; dtype: string }
  | { complex: Float32Array; shape: number[] }
  | { text: string };

export interface FixtureOptions {
  /** Frame count N and size M. */
  count?: number;
  frame?: number;
  /** Overrides (or `null` to omit) of any dataset, by its HDF5 path. */
  parts?: Record<string, Part | null>;
  /** Store frames chunked one frame per chunk (h5py with chunks=(1, M, M)), gzip level. */
  chunked?: boolean;
  gzip?: number;
  /** Frames dataset path; default `/entry_1/data_1/data`. */
  framesPath?: string;
  /** Soft links to create after the datasets: link path -> target path. */
  links?: Record<string, string>;
}

/** Seeded uniform random numbers in [0, 1): tests are reproducible, inputs never all zero. */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The frames a default fixture holds: random counts 0..999 (float32). */
export function fixtureFrames(count: number, frame: number, seed = 1): Float32Array {
  const rand = random(seed);
  return Float32Array.from({ length: count * frame * frame }, () => Math.floor(rand() * 1000));
}

/** Default translations: a raster with 20 nm steps, metres, N x 3. */
export function fixtureTranslations(count: number): Float64Array {
  const side = Math.ceil(Math.sqrt(count));
  const t = new Float64Array(count * 3);
  for (let j = 0; j < count; j++) {
    t[3 * j] = (j % side) * 20e-9;
    t[3 * j + 1] = Math.floor(j / side) * 20e-9;
  }
  return t;
}

/** Writes a CXI file at `path` and returns the frames it holds. */
export async function writeFixture(path: string, options: FixtureOptions = {}) {
  await h5();
  const N = options.count ?? 6, M = options.frame ?? 16;
  const frames = fixtureFrames(N, M);
  const framesPath = options.framesPath ?? "/entry_1/data_1/data";
  const defaults: Record<string, Part | null> = {
    [framesPath]: { data: frames, shape: [N, M, M], dtype: "<f" },
    "/entry_1/sample_1/geometry_1/translation": {
      data: fixtureTranslations(N),
      shape: [N, 3],
      dtype: "<d",
    },
    "/entry_1/instrument_1/detector_1/distance": scalar(2),
    "/entry_1/instrument_1/detector_1/x_pixel_size": scalar(75e-6),
    "/entry_1/instrument_1/detector_1/y_pixel_size": scalar(75e-6),
    "/entry_1/instrument_1/source_1/energy": scalar(8e3 * 1.602176634e-19),
  };
  const parts = { ...defaults, ...options.parts };
  const file = new h5wasm.File(path, "w");
  try {
    for (const [where, part] of Object.entries(parts)) {
      if (!part) continue;
      const parent = where.slice(0, where.lastIndexOf("/"));
      const name = where.slice(where.lastIndexOf("/") + 1);
      const group = ensureGroup(file, parent);
      const chunks = where === framesPath && options.chunked ? [1, M, M] : null;
      if ("text" in part) {
        group.create_dataset({ name, data: part.text });
      } else if ("complex" in part) {
        const n = part.complex.length / 2;
        const r = new Float32Array(n), i = new Float32Array(n);
        for (let k = 0; k < n; k++) [r[k], i[k]] = [part.complex[2 * k], part.complex[2 * k + 1]];
        group.create_dataset({
          name,
          data: new Map([["r", r], ["i", i]]),
          shape: part.shape,
          dtype: [["r", "<f"], ["i", "<f"]],
        });
      } else {
        group.create_dataset({
          name,
          data: part.data,
          shape: part.shape,
          dtype: part.dtype,
          ...(chunks ? { chunks } : {}),
          ...(chunks && options.gzip ? { compression: options.gzip } : {}),
        });
      }
    }
    for (const [link, target] of Object.entries(options.links ?? {})) {
      const parent = link.slice(0, link.lastIndexOf("/")) || "/";
      ensureGroup(file, parent).create_soft_link(target, link.slice(link.lastIndexOf("/") + 1));
    }
  } finally {
    file.close();
  }
  return frames;
}

/** A float64 scalar dataset, as h5py writes a Python float. */
export function scalar(value: number): Part {
  return { data: new Float64Array([value]), shape: [], dtype: "<d" };
}
