/**
 * `deno task bench serve [--json] [--reps N] [--iterations N] [--tiles RxC --workers N]`: what
 * the live view (`reconstruct --serve`) costs a run with a page connected. The built-in demo is
 * reconstructed with `cg`, alternately without a live view and with one that a client follows as
 * a browser does (its event stream, and the three PNGs whenever an event announces new ones).
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
 * JSON: `{ adapter, tiles, workers, iterations, reps, s_per_iteration_without,
 * s_per_iteration_with_client, overhead, view_share, pictures_per_run }`.
 */
import { reconstruct } from "../../src/engine/reconstruct.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";
import { LiveView } from "../../src/serve/live_view.ts";

interface Options {
  json: boolean;
  reps: number;
  iterations: number;
  tiles: [number, number];
  workers: number;
}

function parse(args: string[]): Options {
  const out: Options = { json: false, reps: 3, iterations: 30, tiles: [1, 1], workers: 1 };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--json") out.json = true;
    else if (args[i] === "--reps") out.reps = Number(args[++i]);
    else if (args[i] === "--iterations") out.iterations = Number(args[++i]);
    else if (args[i] === "--tiles") {
      out.tiles = (args[++i] ?? "").split("x").map(Number) as [number, number];
    } else if (args[i] === "--workers") out.workers = Number(args[++i]);
    else {
      throw new RangeError(
        `Unknown option ${args[i]}: expected --json, --reps, --iterations, --tiles or --workers`,
      );
    }
  }
  if (!(out.reps >= 1) || !(out.iterations >= 3) || !(out.workers >= 1)) {
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
        for (const name of ["phase", "amplitude", "probe"]) {
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

export async function run(args: string[]): Promise<void> {
  const o = parse(args);
  const out = await Deno.makeTempDir({ prefix: "tessera-bench-serve-" });
  const options: ReconstructOptions = {
    ...DEFAULT_OPTIONS,
    out,
    iterations: o.iterations,
    tiles: o.tiles,
    workers: o.workers,
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
  const row = {
    adapter,
    tiles: o.tiles,
    workers: o.workers,
    iterations: o.iterations,
    reps: o.reps,
    s_per_iteration_without: a,
    s_per_iteration_with_client: b,
    overhead: b / a - 1,
    view_share: viewSeconds / servedSeconds,
    pictures_per_run: pictures.map((p) => p / 3),
  };
  if (o.json) {
    console.log(JSON.stringify(row, null, 2));
    return;
  }
  console.log(
    `demo (cg, ${o.tiles.join("x")} tiles, ${o.workers} worker(s)) on ${adapter}: ` +
      `${a.toFixed(4)} s/iteration without a live view, ${b.toFixed(4)} with a client ` +
      `following it: ${(100 * row.overhead).toFixed(1)} % between runs; the view's own share of ` +
      `the run with a client ${(100 * row.view_share).toFixed(1)} % (target <= 5 %); pictures ` +
      `per run ${row.pictures_per_run.join(", ")} of ${o.iterations} iterations`,
  );
}
