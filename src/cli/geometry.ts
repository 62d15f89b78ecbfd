/** The near- or far-field geometry options that `reconstruct` and `inspect` share. */
import { type Command, Option } from "commander";
import { positiveNumber } from "./values.ts";

/** How exit waves reach the detector (DESIGN section 7). */
export const PROPAGATIONS = ["far", "near"] as const;
export type Propagation = typeof PROPAGATIONS[number];

/** The geometry a command was asked for. */
export interface GeometryOptions {
  propagation: Propagation;
  /** Focus-to-sample distance z1 in metres (near-field cone beam), or null for a plane wave. */
  focusDistance: number | null;
}

/** `--propagation` and `--focus-distance`, to add to a command. */
export function geometryOptionList(): Option[] {
  return [
    new Option("--propagation <MODE>", "far field (Fourier transform) or near field (Fresnel)")
      .choices(PROPAGATIONS).default("far"),
    new Option(
      "--focus-distance <METRES>",
      "near field: focus-to-sample distance of a cone beam (Fresnel scaling; default: plane wave)",
    ).argParser(positiveNumber),
  ];
}

/**
 * The geometry options of a parsed command; `--focus-distance` without `--propagation near` is a
 * usage error (the far-field geometry has no use for it).
 */
export function geometryOptions(command: Command, o: Record<string, unknown>): GeometryOptions {
  const propagation = o.propagation as Propagation;
  const focusDistance = (o.focusDistance as number | undefined) ?? null;
  if (focusDistance !== null && propagation !== "near") {
    command.error(
      "error: option '--focus-distance <METRES>' needs --propagation near: it sets the " +
        "near-field cone-beam geometry",
    );
  }
  return { propagation, focusDistance };
}
