/**
 * `deno task bench serve [--json] [--reps N] [--iterations N] [--tiles RxC --workers N]`: what
 * the live view (`reconstruct --serve`) costs a run with a page connected. The built-in demo is
 * reconstructed with `cg`, alternately without a live view and with one that a client follows as
 * a browser does (its event stream, and the three PNGs whenever an event announces new ones; the
 * phase once more for a tiled run's panel, whose grid is drawn over it). Two cases by default:
 * untiled, and 2 x 2 tiles on 2 workers (whose view also reads every tile back, measures the halo
 * mismatch and draws the panel); `--tiles` and `--workers` choose one case instead.
 *
 * Seconds per iteration are measured end to end, from one iteration's hook to the next, so the
 * view's readback and PNG encoding count; medians over all iterations but the first of each run,
 * pooled over `--reps` pairs of runs (default 3) made one after the other so that both meet the
 * same load, after a short warm-up run that compiles the pipelines. On a shared machine the two
 * medians differ by more than the view costs (the load changes between runs), so the bench also
 * reports the view's own share of the runs with a client: the time spent in its hook (readback,
 * PNG encoding, events) over the time of those same iterations. Target: at most 5 %
 * (DESIGN section 7).
 *
 * JSON: one object per case, `{ adapter, tiles, workers, iterations, reps,
 * s_per_iteration_without, s_per_iteration_with_client, overhead, view_share, pictures_per_run }`.
 */
import { reconstruct } from "../../src/engine/reconstruct.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";
import { LiveView } from "../../src/serve/live_view.ts";

/** One configuration the bench measures. */
interface Case {
  tiles: [number, number];
  workers: number;
}

interface Options {
  json: boolean;
  reps: number;
  iterations: number;
  cases: Case[];
}

/** The cases measured without `--tiles`: untiled, and a tiled run with its panel. */
const DEFAULT_CASES: Case[] = [{ tiles: [1, 1], workers: 1 }, { tiles: [2, 2], workers: 2 }];

function parse(args: string[]): Options {
  const out: Options = { json: false, reps: 3, iterations: 30, cases: DEFAULT_CASES };
  let tiles: [number, number] | null = null, workers: number | null = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--reps") out.reps = Number(args[++i]);
    else if (args[i] === "--iterations") out.iterations = Number(args[++i]);
    else if (args[i] === "--tiles") {
      tiles = (args[++i] ?? "").split("x").map(Number) as [number, number];
    } else if (args[i] === "--workers") workers = Number(args[++i]);
    else {
      throw new RangeError(
        `Unknown option ${args[i]}: expected --json, --reps, --iterations, --tiles or --workers`,
      );
    }
  }
  if (tiles !== null || workers !== null) {
    out.cases = [{ tiles: tiles ?? [1, 1], workers: workers ?? 1 }];
  }
  if (!(out.reps >= 1) || !(out.iterations >= 3) || !out.cases.every((c) => c.workers >= 1)) {
    throw new RangeError(`Expected --reps >= 1, --iterations >= 3, --workers >= 1`);
  }
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Follows the live view as a browser does; resolves with the pictures fetched when it ends. */
async function follow(url: string, connected: () => void): Promise<number> {
  const response = await fetch(`${url}events`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  connected();
  let buffer = "", shown: number | null = null, fetched = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) return fetched;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const data = JSON.parse(/^data: (.*)$/m.exec(buffer.slice(0, end))![1]);
      buffer = buffer.slice(end + 2);
      if (data.pictures !== null && data.pictures !== shown) {
        shown = data.pictures;
        const names = ["phase", "amplitude", "probe", ...(data.tiles ? ["phase"] : [])];
        for (const name of names) {
          await (await fetch(`${url}${name}.png`)).arrayBuffer();
          fetched++;
        }
      }
    }
  }
}

/**
 * One run's end-to-end seconds per iteration and the seconds spent in the view's hook during
 * each (both without the first iteration), and its adapter.
 */
async function timedRun(
  options: ReconstructOptions,
  view: LiveView | null,
): Promise<{ seconds: number[]; inView: number[]; adapter: string }> {
  const marks: number[] = [], inView: number[] = [];
  const result = await reconstruct(options, {
    onIteration: async (event) => {
      const t0 = performance.now();
      await view?.iteration(event);
      const t1 = performance.now();
      inView.push((t1 - t0) / 1000);
      marks.push(t1);
    },
  });
  const seconds = marks.slice(1).map((t, i) => (t - marks[i]) / 1000);
  return {
    seconds: seconds.slice(1),
    inView: inView.slice(2),
    adapter: result.report.adapter.description,
  };
}

/** What the bench reports of one case. */
interface Row {
  adapter: string;
  tiles: [number, number];
  workers: number;
  iterations: number;
  reps: number;
  s_per_iteration_without: number;
  s_per_iteration_with_client: number;
  overhead: number;
  view_share: number;
  pictures_per_run: number[];
}

/** The row of one case: both runs' medians and the view's share, alternating over `reps`. */
async function measure(o: Options, c: Case): Promise<Row> {
  const out = await Deno.makeTempDir({ prefix: "tessera-bench-serve-" });
  const options: ReconstructOptions = {
    ...DEFAULT_OPTIONS,
    algorithm: "cg",
    out,
    iterations: o.iterations,
    tiles: c.tiles,
    workers: c.workers,
    checkpointEvery: 0,
  };
  const without: number[] = [], withClient: number[] = [], pictures: number[] = [];
  let viewSeconds = 0, servedSeconds = 0;
  let adapter = "";
  try {
    // Compiles the pipelines (and fills Mesa's cache) before anything is measured.
    await timedRun({ ...options, iterations: 3 }, null);
    for (let rep = 0; rep < o.reps; rep++) {
      const plain = await timedRun(options, null);
      without.push(...plain.seconds);
      adapter = plain.adapter;
      const view = await LiveView.start({
        address: { hostname: "127.0.0.1", port: 0 },
        token: null,
        onStop: () => {},
        log: () => {},
      });
      let connected = () => {};
      const ready = new Promise<void>((resolve) => connected = resolve);
      const client = follow(view.url, connected);
      await ready;
      const served = await timedRun(options, view);
      withClient.push(...served.seconds);
      viewSeconds += served.inView.reduce((sum, t) => sum + t, 0);
      servedSeconds += served.seconds.reduce((sum, t) => sum + t, 0);
      view.finish({ out, interrupted: false });
      await view.close();
      pictures.push(await client);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  const a = median(without), b = median(withClient);
  const tiled = c.tiles[0] * c.tiles[1] > 1;
  return {
    adapter,
    tiles: c.tiles,
    workers: c.workers,
    iterations: o.iterations,
    reps: o.reps,
    s_per_iteration_without: a,
    s_per_iteration_with_client: b,
    overhead: b / a - 1,
    view_share: viewSeconds / servedSeconds,
    pictures_per_run: pictures.map((p) => p / (tiled ? 4 : 3)),
  };
}

export async function run(args: string[]): Promise<void> {
  const o = parse(args);
  const rows: Row[] = [];
  for (const c of o.cases) {
    const row = await measure(o, c);
    rows.push(row);
    if (o.json) continue;
    const a = row.s_per_iteration_without, b = row.s_per_iteration_with_client;
    console.log(
      `demo (cg, ${c.tiles.join("x")} tiles, ${c.workers} worker(s)) on ${row.adapter}: ` +
        `${a.toFixed(4)} s/iteration without a live view, ${b.toFixed(4)} with a client ` +
        `following it: ${(100 * row.overhead).toFixed(1)} % between runs; the view's own share ` +
        `of the run with a client ${(100 * row.view_share).toFixed(1)} % (target <= 5 %); ` +
        `pictures per run ${row.pictures_per_run.join(", ")} of ${o.iterations} iterations`,
    );
  }
  if (o.json) console.log(JSON.stringify(rows, null, 2));
}
