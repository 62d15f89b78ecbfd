/**
 * `deno task inspect FILE`: validates a CXI file (every check of the reader, frames scanned
 * chunk by chunk) and summarises it as a plain object and as a table for people.
 */
import { ELEMENTARY_CHARGE } from "../physics/geometry.ts";
import type { FrameStatistics } from "./cxi_frames.ts";
import { openCxi } from "./cxi_reader.ts";
import { lengthLabel } from "./pictures.ts";

/** The geometry choices {@link inspectCxi} takes, as `reconstruct` does. */
export interface InspectOptions {
  /** `far` (default) or `near`. */
  propagation?: "near" | "far";
  /** Focus-to-sample distance z1 in metres (near field, cone beam). */
  focusDistance?: number;
}

/** The summary of a CXI file; every length in metres, energy in eV. */
export interface CxiSummary {
  file: string;
  /** How exit waves reach the detector in the geometry reconstruct will use. */
  propagation: "near" | "far";
  /** a^2 / (lambda z) with a the frame width in object pixels and z the (effective) distance. */
  fresnel_number: number;
  /** (z1 + z2) / z1 for a near-field cone beam, else 1. */
  magnification: number;
  bytes: number;
  frames: {
    count: number;
    size: number;
    /** Near field: the FFT window the frames are centred in (masked border), else null. */
    padded_to: number | null;
    path: string;
    dtype: string;
    chunks: number[] | null;
    filters: string[];
  };
  geometry: {
    probe: "x-ray" | "electron";
    energy_eV: number;
    wavelength_m: number;
    distance_m: number;
    detector_pixel_m: [number, number];
    object_pixel_m: number;
    /** Distance the propagator covers: z, or z2 / magnification in a near-field cone beam. */
    effective_distance_m: number;
    focus_distance_m: number | null;
  };
  scan: {
    translation_path: string;
    /** Extent of the translations, x and y. */
    extent_m: [number, number];
    object_shape: [number, number];
    /** The object's height and width in metres. */
    object_size_m: [number, number];
  };
  intensity: FrameStatistics;
  mask: { bad_pixels: number } | null;
  clipped_negatives: number;
  illumination: { shape: number[] } | null;
  ground_truth: { shape: number[] } | null;
}

/**
 * Validates and summarises a CXI file. Throws the reader's InputError for a bad file.
 *
 * @example
 * ```ts
 * const summary = await inspectCxi("scan.cxi");
 * console.log(formatSummary(summary));
 * ```
 */
export async function inspectCxi(path: string, options: InspectOptions = {}): Promise<CxiSummary> {
  const { dataset: d, paths, storage, statistics, fileFrame } = await openCxi(path, options);
  d.frames.close();
  const stats = statistics!;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let j = 0; j < d.count; j++) {
    minX = Math.min(minX, d.translations[2 * j]);
    maxX = Math.max(maxX, d.translations[2 * j]);
    minY = Math.min(minY, d.translations[2 * j + 1]);
    maxY = Math.max(maxY, d.translations[2 * j + 1]);
  }
  const g = d.geometry;
  const near = g.propagation?.kind === "near" ? g.propagation : null;
  const distance = near ? near.distance : g.distance;
  const width = fileFrame * g.objectPixel;
  return {
    file: path,
    propagation: near ? "near" : "far",
    fresnel_number: width * width / (g.wavelength * distance),
    magnification: near ? near.magnification : 1,
    bytes: (await Deno.stat(path)).size,
    frames: {
      count: d.count,
      size: fileFrame,
      padded_to: d.frame === fileFrame ? null : d.frame,
      path: paths.frames,
      ...storage,
    },
    geometry: {
      probe: d.geometry.probeKind,
      energy_eV: d.geometry.energyJ / ELEMENTARY_CHARGE,
      wavelength_m: d.geometry.wavelength,
      distance_m: d.geometry.distance,
      detector_pixel_m: d.geometry.detectorPixel,
      object_pixel_m: d.geometry.objectPixel,
      effective_distance_m: distance,
      focus_distance_m: near ? near.focusDistance : null,
    },
    scan: {
      translation_path: paths.translation,
      extent_m: [maxX - minX, maxY - minY],
      object_shape: d.objectShape,
      object_size_m: [d.objectShape[0] * g.objectPixel, d.objectShape[1] * g.objectPixel],
    },
    intensity: stats,
    mask: d.mask ? { bad_pixels: d.mask.reduce((n, v) => n + v, 0) } : null,
    clipped_negatives: stats.negatives,
    illumination: d.illumination ? { shape: d.illumination.shape } : null,
    ground_truth: d.groundTruth ? { shape: d.groundTruth.shape } : null,
  };
}

function energyText(eV: number): string {
  return eV >= 1e3 ? `${Number((eV / 1e3).toPrecision(4))} keV` : `${Number(eV.toPrecision(4))} eV`;
}

function count(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString("en-US") : n.toPrecision(4);
}

/** A two-column table of a summary, for a terminal. */
export function formatSummary(s: CxiSummary): string {
  const g = s.geometry, i = s.intensity;
  const rows: [string, string][] = [
    ["file", `${s.file} (${(s.bytes / 2 ** 20).toFixed(1)} MiB)`],
    [
      "frames",
      `${s.frames.count} x ${s.frames.size} x ${s.frames.size} ${s.frames.dtype} at ${s.frames.path}` +
      (s.frames.padded_to
        ? `, padded to ${s.frames.padded_to} x ${s.frames.padded_to} (masked border)`
        : ""),
    ],
    [
      "storage",
      `${s.frames.chunks ? `chunks [${s.frames.chunks.join(", ")}]` : "contiguous"}` +
      `${s.frames.filters.length ? `, ${s.frames.filters.join(", ")}` : ""}`,
    ],
    ["source", `${g.probe}, ${energyText(g.energy_eV)}, wavelength ${lengthLabel(g.wavelength_m)}`],
    [
      "detector",
      `distance ${g.distance_m.toPrecision(4)} m, pixel ${lengthLabel(g.detector_pixel_m[0])}`,
    ],
    [
      "propagation",
      s.propagation === "near"
        ? `near field over ${lengthLabel(g.effective_distance_m)}` +
          (g.focus_distance_m === null
            ? " (plane wave)"
            : ` (cone beam from ${lengthLabel(g.focus_distance_m)}, magnification ` +
              `${s.magnification.toPrecision(4)})`)
        : "far field",
    ],
    ["Fresnel number", s.fresnel_number.toPrecision(4)],
    ["object pixel", lengthLabel(g.object_pixel_m)],
    [
      "scan",
      `${s.frames.count} positions over ${lengthLabel(s.scan.extent_m[0])} x ` +
      `${lengthLabel(s.scan.extent_m[1])} (${s.scan.translation_path})`,
    ],
    [
      "object",
      `${s.scan.object_shape[0]} x ${s.scan.object_shape[1]} pixels (` +
      `${lengthLabel(s.scan.object_size_m[0])} x ${lengthLabel(s.scan.object_size_m[1])})`,
    ],
    ["counts", `min ${count(i.min)}, max ${count(i.max)}, mean ${count(i.meanPerPixel)} per pixel`],
    [
      "per frame",
      `mean ${count(i.meanPerFrame)}; weakest ${count(i.weakestFrame.total)} (frame ` +
      `${i.weakestFrame.index}), strongest ${count(i.strongestFrame.total)} (frame ` +
      `${i.strongestFrame.index})`,
    ],
    ["mask", s.mask ? `${s.mask.bad_pixels} bad pixels` : "none"],
    ["negative counts", s.clipped_negatives ? `${s.clipped_negatives} clipped to 0` : "none"],
    [
      "illumination",
      s.illumination ? s.illumination.shape.join(" x ") : "none (started from the data)",
    ],
    ["ground truth", s.ground_truth ? s.ground_truth.shape.join(" x ") : "none"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n") + "\n";
}
