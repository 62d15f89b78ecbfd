/** What the subcommands do once their options are parsed. */
import { requireFile } from "../engine/input.ts";
import { formatSummary, inspectCxi } from "../io/inspect.ts";
import type { InspectCliOptions } from "./inspect.ts";
import { reconstruct } from "../engine/reconstruct.ts";
import type { ReconstructOptions } from "../engine/options.ts";
import { InputError } from "../data/errors.ts";
import { hostPort } from "../engine/grants.ts";
import { LiveView } from "../serve/live_view.ts";
import { MpiWorld } from "../distributed/mpi/mod.ts";
import { Progress } from "./progress.ts";
import type { OutputOptions } from "./reconstruct.ts";

/** Exit status of a run stopped by Ctrl-C after writing its checkpoint (128 + SIGINT). */
export const INTERRUPTED_STATUS = 130;

/**
 * Ends a command with a chosen exit status through `runCli`, which returns it to `main.ts`:
 * the process then exits once worker threads have closed their devices, not in the middle.
 */
export class ExitStatus extends Error {
  override name = "ExitStatus";

  constructor(readonly status: number) {
    super(`exit status ${status}`);
  }
}

/**
 * `reconstruct`: runs the engine with progress on stderr (and on the live view's page with
 * `--serve`); Ctrl-C, or the page's stop button, finishes the iteration in flight, writes a
 * checkpoint and the results so far, and exits with status 130. With `--mpi` this process is one
 * rank of an MPI job: rank 0 alone prints and serves.
 */
export async function runReconstruct(
  options: ReconstructOptions,
  output: OutputOptions,
): Promise<void> {
  const mpi = output.mpi ? MpiWorld.init() : null;
  const root = !mpi || mpi.rank === 0;
  const progress = Progress.stderr(output.quiet || !root);
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) Deno.exit(INTERRUPTED_STATUS);
    progress.log("Ctrl-C: finishing this iteration and writing a checkpoint (again to quit now)");
    stop.abort();
  };
  // Under MPI rank 0 alone serves; its stop button stops every rank as its Ctrl-C does.
  const live = output.serve && root
    ? await startLiveView(output, progress, () => stop.abort())
    : null;
  Deno.addSignalListener("SIGINT", onSigint);
  if (output.note) {
    progress.log(output.note);
    live?.log(output.note);
  }
  try {
    const result = await reconstruct(options, {
      onIteration: async (event) => {
        progress.iteration(event);
        await live?.iteration(event);
      },
      log: (line) => {
        progress.log(line);
        live?.log(line);
      },
      signal: stop.signal,
      watching: output.serve ? () => (live?.clients ?? 0) > 0 : undefined,
      grants: { config: output.config, serve: output.serve },
      mpi,
    });
    await mpi?.finalize();
    progress.finish();
    if (!root) {
      if (result.interrupted) throw new ExitStatus(INTERRUPTED_STATUS);
      return;
    }
    live?.finish({ out: result.out, interrupted: result.interrupted });
    if (output.json) {
      console.log(JSON.stringify(result.report, null, 2));
    } else {
      const metrics = result.report.metrics;
      console.log(
        `Results in ${result.out}/ (object_phase.png, product.h5, report.json)` +
          (metrics
            ? `; phase PSNR ${metrics.phase_psnr_db.toFixed(2)} dB, ` +
              `SSIM ${metrics.phase_ssim.toFixed(3)}`
            : ""),
      );
    }
    if (result.interrupted) {
      progress.log(`Interrupted; continue with: deno task reconstruct --resume ${result.out}`);
      throw new ExitStatus(INTERRUPTED_STATUS);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    await live?.close();
  }
}

/**
 * Starts the live view of `--serve`.
 *
 * @throws {InputError} when the address cannot be bound (in use, or not this machine's).
 */
async function startLiveView(
  output: OutputOptions,
  progress: Progress,
  stop: () => void,
): Promise<LiveView> {
  const address = output.serve!;
  try {
    return await LiveView.start({
      address,
      token: output.serveToken,
      onStop: stop,
      log: (line) => progress.log(line),
    });
  } catch (error) {
    if (
      !(error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable)
    ) {
      throw error;
    }
    throw new InputError(
      `Cannot serve the live view on ${hostPort(address)}: ${(error as Error).message}. ` +
        "Choose another port (--serve PORT) or host.",
      hostPort(address),
    );
  }
}

/** `inspect`: validates a file and prints its summary (a table, or JSON with `--json`). */
export async function runInspect(file: string, options: InspectCliOptions): Promise<void> {
  await requireFile(file);
  const summary = await inspectCxi(file, {
    propagation: options.propagation,
    focusDistance: options.focusDistance ?? undefined,
  });
  console.log(options.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
}
