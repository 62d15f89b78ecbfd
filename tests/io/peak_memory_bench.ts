/**
 * Peak host memory of reading a few frames from a large CXI file (not part of the test suite).
 *
 *   deno run -A tests/io/peak_memory_bench.ts [GiB]      (default 4)
 *
 * Builds a chunked float32 CXI file of the given size in a temporary directory, writing it chunk
 * by chunk (never holding more than one 16 MiB batch), then, each in a fresh process so the peaks
 * do not mix: (1) opens it without the frame scan and reads 16 scattered frames through the
 * FrameSource; (2) opens it with the full validating scan, which streams every frame. Reports
 * each process's peak RSS (VmHWM) and deletes the file.
 */
import h5wasm from "h5wasm/node";
import { ensureGroup, h5 } from "../../src/io/_h5.ts";
import { bytesOf, createChunked, writeRows } from "../../src/io/_h5_write.ts";
import { openCxi } from "../../src/io/cxi_reader.ts";
import { hostRssPeak } from "../../src/io/report.ts";

const M = 256;
const FRAME_BYTES = 4 * M * M;

async function build(path: string, count: number): Promise<void> {
  await h5();
  const file = new h5wasm.File(path, "w");
  try {
    const frames = createChunked(ensureGroup(file, "/entry_1/data_1"), {
      name: "data",
      shape: [count, M, M],
      dtype: "<f",
    });
    const batch = 64;
    const block = new Float32Array(batch * M * M);
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      for (let i = 0; i < n * M * M; i += 97) block[i] = start + i;
      await writeRows(frames, start, bytesOf(block.subarray(0, n * M * M)));
    }
    const side = Math.ceil(Math.sqrt(count));
    const t = new Float64Array(3 * count);
    for (let j = 0; j < count; j++) {
      t[3 * j] = (j % side) * 50e-9;
      t[3 * j + 1] = Math.floor(j / side) * 50e-9;
    }
    ensureGroup(file, "/entry_1/sample_1/geometry_1")
      .create_dataset({ name: "translation", data: t, shape: [count, 3], dtype: "<d" });
    const detector = ensureGroup(file, "/entry_1/instrument_1/detector_1");
    const scalar = (g: typeof detector, name: string, v: number) =>
      g.create_dataset({ name, data: new Float64Array([v]), shape: [], dtype: "<d" });
    scalar(detector, "distance", 2);
    scalar(detector, "x_pixel_size", 75e-6);
    scalar(detector, "y_pixel_size", 75e-6);
    scalar(ensureGroup(file, "/entry_1/instrument_1/source_1"), "energy", 8e3 * 1.602176634e-19);
  } finally {
    file.close();
  }
}

async function measure(path: string, mode: "read16" | "scan"): Promise<void> {
  await h5();
  // The runtime and h5wasm alone: what reading adds is the difference.
  const baseline = hostRssPeak();
  const started = performance.now();
  const { dataset } = await openCxi(path, { scan: mode === "scan" });
  if (mode === "read16") {
    const indices = Array.from({ length: 16 }, (_, i) => Math.floor((i * 7919) % dataset.count));
    const frames = await dataset.frames.read(indices);
    if (frames.length !== 16 * M * M) throw new Error("short read");
  }
  dataset.frames.close();
  console.log(JSON.stringify({
    mode,
    frames: dataset.count,
    seconds: (performance.now() - started) / 1000,
    baseline_peak_rss_bytes: baseline,
    peak_rss_bytes: hostRssPeak(),
  }));
}

if (Deno.args[0] === "--measure") {
  await measure(Deno.args[1], Deno.args[2] as "read16" | "scan");
} else {
  const gib = Number(Deno.args[0] ?? 4);
  const count = Math.round((gib * 2 ** 30) / FRAME_BYTES);
  const dir = await Deno.makeTempDir({ prefix: "tessera-peak-" });
  const path = `${dir}/large.cxi`;
  try {
    const t = performance.now();
    await build(path, count);
    const size = (await Deno.stat(path)).size;
    console.log(JSON.stringify({
      built: path,
      bytes: size,
      frames: count,
      seconds: (performance.now() - t) / 1000,
      writer_peak_rss_bytes: hostRssPeak(),
    }));
    for (const mode of ["read16", "scan"]) {
      const child = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", import.meta.filename!, "--measure", path, mode],
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!child.success) throw new Error(`measuring ${mode} failed`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
