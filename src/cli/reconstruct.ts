/** `tessera reconstruct`: options of DESIGN section 5, handed to the engine. */
import { type Command, Option } from "commander";
import {
  ALGORITHMS,
  DEFAULT_ALGORITHM,
  DEFAULT_OPTIONS as D,
  defaultAlgorithm,
  EXCHANGES,
  FALLBACK_ALGORITHM,
  NOISE_MODELS,
  POSITION_REFUSALS,
  type ReconstructOptions,
} from "../engine/options.ts";
import { DEFAULT_SERVE_PORT, isLoopback, type ServeAddress } from "../serve/address.ts";
import { subcommand } from "./command.ts";
import { geometryOptionList, geometryOptions } from "./geometry.ts";
import {
  byteSize,
  integerAtLeast,
  positiveNumber,
  serveAddress,
  tileGrid,
  unitFraction,
} from "./values.ts";

/** How a reconstruction reports to the person running it. */
export interface OutputOptions {
  /** Print report.json at the end and nothing else on stdout. */
  json: boolean;
  /** No progress output (the final line naming the results is still printed). */
  quiet: boolean;
  /** The `--config` file the options were read from, or null (its path is granted to read). */
  config: string | null;
  /** Where the live view listens (`--serve`), or null for none. */
  serve: ServeAddress | null;
  /** Token every live-view request must carry (`--serve-token`), or null. */
  serveToken: string | null;
  /** Run as one rank of an MPI job (`--mpi`, the `reconstruct:mpi` task). */
  mpi: boolean;
  /**
   * The line the run's log opens with when `--algorithm` was not given and the default's
   * stand-in runs (`note: --memory-budget: running cg (...)`), or null.
   */
  note: string | null;
}

/** Shortest `--serve-token` accepted: a guessable token would not protect the stop button. */
export const MIN_TOKEN_LENGTH = 8;

/** The `reconstruct` command; `run` receives the parsed options. */
export function reconstructCommand(
  run: (options: ReconstructOptions, output: OutputOptions) => Promise<void>,
): Command {
  const command = subcommand({
    name: "reconstruct",
    summary: "Reconstruct a CXI data set (or, with no --input, the built-in demo) into --out.",
    config: true,
    examples: [
      "deno task reconstruct",
      "deno task reconstruct -i out/siemens.cxi --algorithm cg --iterations 100",
      "deno task reconstruct -i scan.cxi --tiles 2x2 --workers 2 --exchange async",
      "deno task reconstruct -i scan.cxi --refine-probe-from 10 --probe-modes 2 --json",
      "deno task reconstruct --resume out/scan",
      "deno task reconstruct -i scan.cxi --serve 8765   # then open http://127.0.0.1:8765/",
      "mpirun -n 4 deno task reconstruct:mpi -i scan.cxi --tiles 2x2",
    ],
  });
  const int = (min: number) => integerAtLeast(min);
  const [propagation, focusDistance] = geometryOptionList();
  command
    .option("-i, --input <FILE>", "CXI file to reconstruct (default: the built-in demo)")
    .option("-o, --out <DIR>", "output directory (default: out/demo or out/<input stem>)")
    .addOption(
      new Option("-a, --algorithm <NAME>", "solver").choices(ALGORITHMS).default(
        D.algorithm,
        `${DEFAULT_ALGORITHM}; ${FALLBACK_ALGORITHM} where ${DEFAULT_ALGORITHM} does not run ` +
          "(--memory-budget, --exchange async, --slices > 1)",
      ),
    )
    .option("-n, --iterations <N>", "iterations to run", int(0), D.iterations)
    .addOption(
      new Option("--tiles <RxC>", "tile grid over the object").argParser(tileGrid)
        .default(D.tiles, "1x1"),
    )
    .option("--workers <N>", "workers, each with its own GPU device", int(1), D.workers)
    .addOption(
      new Option("--exchange <MODE>", "overlap gradient exchange between tiles")
        .choices(EXCHANGES).default(D.exchange),
    )
    .addOption(
      new Option("--noise <MODEL>", "noise model of the cost").choices(NOISE_MODELS)
        .default(D.noise),
    )
    .option("--probe-modes <K>", "mutually incoherent probe modes", int(1), D.probeModes)
    .addOption(
      new Option("--refine-probe-from <N>", "first iteration that also refines the probe")
        .argParser(int(0)).default(null, "never, or 10 when the probe is estimated from the data"),
    )
    .option(
      "--no-defocus-search",
      "start an estimated far-field probe from the flat phase, without the defocus search",
    )
    .addOption(
      new Option(
        "--correct-positions-from <N>",
        "first iteration that also refines the scan positions (cg, gd and lsqml)",
      ).argParser(int(0)).default(null, "never"),
    )
    .option(
      "--raar-beta <BETA>",
      "raar: relaxation beta in (0, 1] (1 is the difference map)",
      unitFraction,
      D.raarBeta,
    )
    .addOption(
      new Option(
        "--probe-support <FRACTION>",
        "dm, raar: the probe is zero outside a centred disc of this fraction of the frame's area",
      ).argParser(positiveNumber).default(D.probeSupport, "none"),
    )
    .option("--slices <S>", "object slices (multislice when > 1)", int(1), D.slices)
    .addOption(
      new Option("--slice-thickness <METRES>", "distance between slices")
        .argParser(positiveNumber).default(null, "from the file"),
    )
    .addOption(propagation)
    .addOption(focusDistance)
    .addOption(
      new Option(
        "--memory-budget <BYTES>",
        "device bytes per worker, e.g. 2GiB (tiles then stream through it)",
      )
        .argParser(byteSize).default(null, "no limit"),
    )
    .option(
      "--checkpoint-every <N>",
      "write a checkpoint every N iterations (0: only on Ctrl-C)",
      int(0),
      D.checkpointEvery,
    )
    .option("--resume <DIR>", "continue the run whose output (or checkpoint) directory is DIR")
    .option("--seed <N>", "seed of the random numbers (demo data, initial guesses)", int(0), D.seed)
    .option("--json", "print report.json at the end, and nothing else on stdout")
    .option("-q, --quiet", "print no progress, only where the results are")
    .addOption(
      new Option(
        "--serve [HOST:PORT]",
        "serve a live view of the run in a browser (a port alone: 127.0.0.1)",
      )
        .preset(String(DEFAULT_SERVE_PORT)).argParser(serveAddress),
    )
    .option(
      "--mpi",
      "run as one rank of an MPI job started by mpirun or srun (the reconstruct:mpi task)",
    )
    .option(
      "--serve-token <TOKEN>",
      "token the live view requires of every request (needed for a host other than loopback)",
    )
    .action(async (o: Record<string, unknown>) => {
      const resumeWith = o.resume ? resumeOverrides(command) : undefined;
      const { algorithm, note } = algorithmOf(command, o);
      const correctPositionsFrom = (o.correctPositionsFrom as number | null) ?? null;
      const refusal = POSITION_REFUSALS[algorithm];
      if (correctPositionsFrom !== null && refusal) {
        command.error(
          `error: option '--correct-positions-from' works with --algorithm cg, gd and lsqml, ` +
            `not ${algorithm} (${refusal})`,
        );
      }
      const serve = liveViewOptions(command, o);
      await run({
        input: (o.input as string | undefined) ?? null,
        out: (o.out as string | undefined) ?? null,
        algorithm,
        iterations: o.iterations as number,
        tiles: o.tiles as [number, number],
        workers: o.workers as number,
        exchange: o.exchange as ReconstructOptions["exchange"],
        noise: o.noise as ReconstructOptions["noise"],
        probeModes: o.probeModes as number,
        refineProbeFrom: o.refineProbeFrom as number | null,
        defocusSearch: o.defocusSearch as boolean,
        correctPositionsFrom,
        raarBeta: o.raarBeta as number,
        probeSupport: o.probeSupport as number | null,
        slices: o.slices as number,
        ...geometryOptions(command, o),
        sliceThickness: o.sliceThickness as number | null,
        memoryBudget: o.memoryBudget as number | null,
        checkpointEvery: o.checkpointEvery as number,
        resume: (o.resume as string | undefined) ?? null,
        seed: o.seed as number,
        resumeWith,
      }, {
        json: Boolean(o.json),
        quiet: Boolean(o.quiet),
        config: (o.config as string | undefined) ?? null,
        ...serve,
        mpi: Boolean(o.mpi),
        note,
      });
    });
  return command;
}

/**
 * Options that may accompany `--resume`: where and how to report, how long to go on, and where
 * the same tiles run (workers, memory budget), which does not change the computation.
 */
const RESUME_COMPANIONS = [
  "resume",
  "out",
  "json",
  "quiet",
  "config",
  "iterations",
  "checkpointEvery",
  "workers",
  "memoryBudget",
  "serve",
  "serveToken",
  "mpi",
];

/**
 * The solver the run uses: the one `--algorithm` (or the config file) names; without it the
 * default, or its stand-in where the default refuses an option, with the note saying so. A resumed
 * run keeps its checkpoint's solver, so it gets no note.
 */
function algorithmOf(
  command: Command,
  o: Record<string, unknown>,
): { algorithm: ReconstructOptions["algorithm"]; note: string | null } {
  const named = o.algorithm as ReconstructOptions["algorithm"];
  if (command.getOptionValueSource("algorithm") !== "default" || o.resume) {
    return { algorithm: named, note: null };
  }
  return defaultAlgorithm({
    memoryBudget: (o.memoryBudget as number | null) ?? null,
    exchange: o.exchange as ReconstructOptions["exchange"],
    slices: o.slices as number,
  });
}

/**
 * `--serve` and `--serve-token`, checked together: a live view reachable from other machines
 * has a stop button, so it needs a token; a usage error otherwise (exit 2).
 */
function liveViewOptions(
  command: Command,
  o: Record<string, unknown>,
): Pick<OutputOptions, "serve" | "serveToken"> {
  const serve = (o.serve as ServeAddress | undefined) ?? null;
  const token = (o.serveToken as string | undefined) ?? null;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    command.error(
      `error: option '--serve-token' must be at least ${MIN_TOKEN_LENGTH} characters long`,
    );
  }
  if (token !== null && !serve) {
    command.error("error: option '--serve-token' needs --serve");
  }
  if (serve && !isLoopback(serve.hostname) && token === null) {
    command.error(
      `error: option '--serve' on ${serve.hostname} is reachable from other machines: give ` +
        "--serve-token TOKEN as well (every request must then carry it), or serve on " +
        "127.0.0.1 and reach it through an SSH tunnel",
    );
  }
  return { serve, serveToken: token };
}

/**
 * The options given with `--resume` that replace the checkpoint's; any option that would change
 * the computation itself is a usage error, since the run continues with the options it began with.
 */
function resumeOverrides(command: Command): ReconstructOptions["resumeWith"] {
  const given = command.options.map((option) => option.attributeName()).filter((name) => {
    const source = command.getOptionValueSource(name);
    return source === "cli" || source === "config";
  });
  const conflict = given.find((name) => !RESUME_COMPANIONS.includes(name));
  if (conflict) {
    const flag = command.options.find((option) => option.attributeName() === conflict)!.long;
    command.error(
      `error: option '${flag}' cannot be combined with --resume: a resumed run keeps the options ` +
        "it was started with (only --iterations, --checkpoint-every, --workers, --memory-budget, " +
        "--out, --json and --quiet may change)",
    );
  }
  const overrides: ReconstructOptions["resumeWith"] = {};
  if (given.includes("iterations")) overrides.iterations = command.getOptionValue("iterations");
  if (given.includes("checkpointEvery")) {
    overrides.checkpointEvery = command.getOptionValue("checkpointEvery");
  }
  if (given.includes("workers")) overrides.workers = command.getOptionValue("workers");
  if (given.includes("memoryBudget")) {
    overrides.memoryBudget = command.getOptionValue("memoryBudget");
  }
  return overrides;
}
