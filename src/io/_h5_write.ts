/**
 * Writing with h5wasm without holding whole arrays as JavaScript values: chunked datasets that
 * grow to their shape and are filled row block by row block, and complex arrays stored as h5py
 * stores complex64 (a compound of `r` and `i` float32).
 */
import type { Dataset, Group } from "h5wasm/node";
import { h5, shapeOf } from "./_h5.ts";

/** Options of {@link createChunked}. */
export interface ChunkedOptions {
  name: string;
  shape: number[];
  /** `<f` float32, `<d` float64, `<i` int32, `<q` int64, or `complex64` (compound r/i). */
  dtype: "<f" | "<d" | "<i" | "<q" | "complex64";
  /** Chunk shape; defaults to one row of the first axis. */
  chunks?: number[];
  /** gzip level 1-9, none when omitted. */
  gzip?: number;
}

/**
 * Creates a chunked dataset without holding its data: it starts empty along the first axis,
 * grows to `shape`, and is then filled by {@link writeRows}.
 */
export function createChunked(group: Group, options: ChunkedOptions): Dataset {
  const { name, shape } = options;
  const chunks = options.chunks ?? [1, ...shape.slice(1)];
  const empty = [0, ...shape.slice(1)];
  const complex = options.dtype === "complex64";
  const data = complex
    ? new Map([["r", new Float32Array(0)], ["i", new Float32Array(0)]])
    : new Float32Array(0);
  const dtype = complex ? [["r", "<f"], ["i", "<f"]] as [string, string][] : options.dtype;
  const dataset = group.create_dataset({
    name,
    data,
    shape: empty,
    maxshape: shape,
    chunks,
    dtype,
    ...(options.gzip ? { compression: options.gzip } : {}),
  });
  if (shape[0] > 0) dataset.resize(shape);
  return dataset;
}

/**
 * Writes rows `[row, row + rows)` of the first axis from raw little-endian bytes laid out as the
 * dataset's type (interleaved float32 pairs for complex64).
 */
export async function writeRows(dataset: Dataset, row: number, bytes: Uint8Array): Promise<void> {
  const module = await h5();
  const shape = shapeOf(dataset);
  const rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * dataset.metadata.size;
  const rows = bytes.byteLength / rowBytes;
  if (!Number.isInteger(rows) || row + rows > shape[0]) {
    throw new RangeError(`Cannot write ${bytes.byteLength} bytes at row ${row} of [${shape}]`);
  }
  const pointer = module._malloc(Math.max(bytes.byteLength, 1));
  if (!pointer) throw new RangeError(`Cannot allocate ${bytes.byteLength} bytes in the HDF5 heap`);
  try {
    module.HEAPU8.set(bytes, pointer);
    module.set_dataset_data(
      dataset.file_id,
      dataset.path,
      [BigInt(rows), ...shape.slice(1).map(BigInt)],
      [BigInt(row), ...shape.slice(1).map(() => 0n)],
      shape.map(() => 1n),
      BigInt(pointer),
    );
  } finally {
    module._free(pointer);
  }
}

/** Bytes of a typed array (no copy). */
export function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Writes a whole complex array (interleaved float32) as an h5py-style complex64 dataset. */
export async function writeComplex(
  group: Group,
  name: string,
  shape: number[],
  data: Float32Array,
): Promise<Dataset> {
  const dataset = createChunked(group, { name, shape, dtype: "complex64" });
  if (shape[0] > 0) await writeRows(dataset, 0, bytesOf(data));
  return dataset;
}
