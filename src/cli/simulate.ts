/** `tessera simulate`: writes a simulated CXI data set with its ground truth. */
import { type Command, Option } from "commander";
import { subcommand } from "./command.ts";
import { integerAtLeast, nonNegativeNumber, positiveNumber, powerOfTwo } from "./values.ts";

/** The data-set presets (`src/simulate/`). */
export const PRESETS = ["siemens", "smooth", "pbtio3", "nearfield"] as const;

/** Parsed options of `simulate`; size options left undefined take the preset's value. */
export interface SimulateCliOptions {
  preset: typeof PRESETS[number];
  out: string;
  frame?: number;
  positions?: number;
  scan?: "raster" | "spiral";
  step?: number;
  photons?: number;
  noise: "poisson" | "none";
  seed: number;
  slices?: number;
  /** Leave the illumination out of the file, as beamline files often do. */
  withoutProbe?: boolean;
  /** RMS error of the recorded positions, object pixels (the true ones kept with the truth). */
  positionError?: number;
  /** Mutually incoherent probe modes of a partially coherent beam (default 1). */
  probeModes?: number;
}

/** The `simulate` command; `run` receives the parsed options. */
export function simulateCommand(run: (options: SimulateCliOptions) => Promise<void>): Command {
  const command = subcommand({
    name: "simulate",
    summary: "Write a simulated CXI data set (frames, geometry, probe, ground truth).",
    config: true,
    examples: [
      "deno task simulate --preset siemens --out out/siemens.cxi",
      "deno task simulate --preset siemens --out out/big.cxi --frame 128 --positions 1600",
      "deno task simulate --preset pbtio3 --out out/pbtio3.cxi --slices 20 --scan raster",
      "deno task simulate --preset nearfield --out out/nearfield.cxi   # then --propagation near",
      "deno task simulate --preset smooth --out out/smooth.cxi --frame 128 --positions 400 " +
      "--step 15 --photons 1e8 --without-probe",
      "deno task simulate --preset siemens --out out/shaky.cxi --positions 400 --position-error 2",
    ],
  });
  command
    .addOption(
      new Option("-p, --preset <NAME>", "data set to simulate (required)").choices(PRESETS),
    )
    .option("-o, --out <FILE>", "CXI file to write (required)")
    .addOption(
      new Option("--frame <M>", "frame size in pixels, a power of two (default: the preset's)")
        .argParser(powerOfTwo),
    )
    .addOption(
      new Option("--positions <N>", "scan positions (default: the preset's)").argParser(
        integerAtLeast(1),
      ),
    )
    .addOption(
      new Option("--scan <PATTERN>", "scan pattern (default: the preset's)").choices([
        "raster",
        "spiral",
      ]),
    )
    .addOption(
      new Option(
        "--step <PIXELS>",
        "scan step in object pixels: a spiral's radial step (neighbours ~1.7 steps apart) or " +
          "a raster's spacing (default: the preset's)",
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option("--photons <P>", "photons (or electrons) per frame (default: the preset's)")
        .argParser(positiveNumber),
    )
    .addOption(
      new Option("--noise <MODEL>", "counting noise added to the frames")
        .choices(["poisson", "none"]).default("poisson"),
    )
    .option("--seed <N>", "seed of the random numbers", integerAtLeast(0), 0)
    .addOption(
      new Option("--slices <S>", "object slices, multislice when > 1 (default: the preset's)")
        .argParser(integerAtLeast(1)),
    )
    .addOption(
      new Option(
        "--position-error <PX>",
        "record the positions with seeded random errors of this RMS, object pixels (the true " +
          "ones stay with the ground truth)",
      ).argParser(nonNegativeNumber),
    )
    .addOption(
      new Option(
        "--probe-modes <K>",
        "partially coherent beam: K mutually incoherent modes, the probe seen from K points of " +
          "the source (default: 1, coherent)",
      ).argParser(integerAtLeast(1)),
    )
    .option(
      "--without-probe",
      "leave the illumination out of the file (reconstructions then estimate it from the data)",
    )
    .action(async (o: Record<string, unknown>) => {
      if (!o.preset) command.error("error: required option '--preset <NAME>' not specified");
      if (!o.out) command.error("error: required option '--out <FILE>' not specified");
      await run(o as unknown as SimulateCliOptions);
    });
  return command;
}
