/**
 * `deno task bench fft [--json] [--sizes 256,512] [--batch N] [--reps N] [--ts-reps N]
 * [--design unrolled|workgroup|auto] [--wall]`: batched unitary 2D FFTs of complex64 frames on the
 * GPU against the float64 TypeScript reference of the same run. Without `--json` prints a table;
 * with it, one JSON object:
 * `{ adapter, timing, design, sizes: [{ n, batch, ms_median, gflops, rel_error, ts_ms_median }] }`.
 * gflops counts 5 n log2 n per line on both axes: batch * 2 * n * 5 n log2 n per transform.
 *
 * Timing: medians over `--reps` repetitions (`--ts-reps` for the reference, alternating with
 * them) after one warm-up transform; pipeline compilation happens before, in `Fft2.create()`.
 * With timestamp queries the GPU time between two empty compute passes enclosing the transform
 * is used, otherwise (or with `--wall`) wall time around `gpu.finish()`; `timing` says which.
 */
import { type Gpu, requestGpu } from "../../src/gpu/mod.ts";
import { Fft2, fft2Reference, type FftDesign } from "../../src/fft/mod.ts";

/** Complex elements per batch: a few M, like a tile of diffraction frames. */
const ELEMENTS = 4 * 1024 * 1024;
const DEFAULT_SIZES = [32, 64, 128, 256, 512, 1024];

interface Row {
  n: number;
  batch: number;
  ms_median: number;
  gflops: number;
  rel_error: number;
  ts_ms_median: number;
}

interface Args {
  json: boolean;
  sizes: number[];
  batch: number | null;
  reps: number;
  tsReps: number;
  design: FftDesign | "auto";
  wall: boolean;
}

function parse(args: string[]): Args {
  const out: Args = {
    json: false,
    sizes: DEFAULT_SIZES,
    batch: null,
    reps: 7,
    tsReps: 5,
    design: "auto",
    wall: false,
  };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new RangeError(`Option ${args[i - 1]} needs a value`);
      return v;
    };
    switch (args[i]) {
      case "--json":
        out.json = true;
        break;
      case "--sizes":
        out.sizes = value().split(",").map(Number);
        break;
      case "--batch":
        out.batch = Number(value());
        break;
      case "--reps":
        out.reps = Number(value());
        break;
      case "--ts-reps":
        out.tsReps = Number(value());
        break;
      case "--wall":
        out.wall = true;
        break;
      case "--design":
        out.design = value() as Args["design"];
        break;
      default:
        throw new RangeError(
          `Unknown option ${args[i]}: expected --json, --sizes, --batch, --reps, --ts-reps, ` +
            `--design or --wall`,
        );
    }
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Times recorded GPU work: timestamp queries when the device has them, else wall time. */
class Timer {
  readonly kind: "timestamp-query" | "wall";
  #queries: GPUQuerySet | null = null;
  #resolve: GPUBuffer | null = null;

  constructor(private readonly gpu: Gpu, wall: boolean) {
    this.kind = gpu.timestamps && !wall ? "timestamp-query" : "wall";
    if (this.kind === "timestamp-query") {
      this.#queries = gpu.device.createQuerySet({ type: "timestamp", count: 2 });
      this.#resolve = gpu.buffer(
        16,
        "fft bench timestamps",
        GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      );
    }
  }

  /** Milliseconds taken by the work `record` records. */
  async time(record: () => void): Promise<number> {
    await this.gpu.finish();
    if (!this.#queries || !this.#resolve) {
      const start = performance.now();
      record();
      await this.gpu.finish();
      return performance.now() - start;
    }
    this.#mark(0);
    record();
    this.#mark(1);
    this.gpu.encoder.resolveQuerySet(this.#queries, 0, 2, this.#resolve, 0);
    const [begin, end] = new BigUint64Array(await this.gpu.read(this.#resolve));
    return Number(end - begin) / 1e6;
  }

  destroy(): void {
    this.#queries?.destroy();
    this.gpu.release(this.#resolve);
  }

  #mark(index: number): void {
    const pass = this.gpu.encoder.beginComputePass({
      timestampWrites: { querySet: this.#queries!, beginningOfPassWriteIndex: index },
    });
    pass.end();
  }
}

async function measure(gpu: Gpu, timer: Timer, n: number, batch: number, a: Args): Promise<Row> {
  const length = n * n * batch;
  const re = new Float64Array(length).map(() => Math.random() * 2 - 1);
  const im = new Float64Array(length).map(() => Math.random() * 2 - 1);
  const input = new Float32Array(2 * length);
  for (let i = 0; i < length; i++) {
    input[2 * i] = re[i];
    input[2 * i + 1] = im[i];
  }
  const fft = await Fft2.create(gpu, n, { design: a.design });
  const src = gpu.upload(input, `bench fft${n} input`);
  const dst = gpu.buffer(input.byteLength, `bench fft${n} output`);
  // Warm-up; Fft2.create() has already made the driver compile its pipelines.
  fft.forward(src, dst, batch);
  const got = await gpu.readF32(dst);
  // GPU and reference repetitions alternate, so both see the same load on a shared machine.
  // The reference transforms the float32-rounded input, so rel_error measures the FFT alone.
  const ms: number[] = [];
  const ts: number[] = [];
  let refRe = re;
  let refIm = im;
  for (let r = 0; r < Math.max(a.reps, a.tsReps); r++) {
    if (r < a.reps) ms.push(await timer.time(() => fft.forward(src, dst, batch)));
    if (r >= a.tsReps) continue;
    refRe = new Float64Array(length);
    refIm = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      refRe[i] = input[2 * i];
      refIm[i] = input[2 * i + 1];
    }
    const start = performance.now();
    fft2Reference(refRe, refIm, n, batch, false);
    ts.push(performance.now() - start);
  }
  fft.destroy();
  gpu.release(src, dst);
  let num = 0;
  let den = 0;
  for (let i = 0; i < length; i++) {
    num += (got[2 * i] - refRe[i]) ** 2 + (got[2 * i + 1] - refIm[i]) ** 2;
    den += refRe[i] ** 2 + refIm[i] ** 2;
  }
  const msMedian = median(ms);
  const flops = batch * 2 * n * 5 * n * Math.log2(n);
  return {
    n,
    batch,
    ms_median: msMedian,
    gflops: flops / (msMedian * 1e6),
    rel_error: Math.sqrt(num / den),
    ts_ms_median: median(ts),
  };
}

/** Entry point used by `tasks/bench.ts`. */
export async function run(args: string[]): Promise<void> {
  const a = parse(args);
  const gpu = await requestGpu({ label: "bench fft" });
  try {
    const timer = new Timer(gpu, a.wall);
    const design = a.design === "auto" ? (gpu.info.fallback ? "unrolled" : "workgroup") : a.design;
    const sizes: Row[] = [];
    for (const n of a.sizes) {
      const batch = a.batch ?? Math.max(1, Math.floor(ELEMENTS / (n * n)));
      const row = await measure(gpu, timer, n, batch, a);
      sizes.push(row);
      if (!a.json) {
        if (sizes.length === 1) {
          console.log(`adapter: ${gpu.info.description}, design: ${design}, timing: ${timer.kind}`);
          console.log("    n  batch   ms_median   GFLOP/s   rel_error   ts_ms_median   speed-up");
        }
        console.log(
          `${String(n).padStart(5)}${String(batch).padStart(7)}${
            row.ms_median.toFixed(2).padStart(12)
          }` +
            `${row.gflops.toFixed(2).padStart(10)}${row.rel_error.toExponential(2).padStart(12)}` +
            `${row.ts_ms_median.toFixed(1).padStart(15)}` +
            `${(row.ts_ms_median / row.ms_median).toFixed(1).padStart(11)}`,
        );
      }
    }
    timer.destroy();
    if (a.json) {
      console.log(JSON.stringify({ adapter: gpu.info, timing: timer.kind, design, sizes }));
    }
  } finally {
    gpu.destroy();
  }
}
