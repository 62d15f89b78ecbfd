/** `report.json` (DESIGN section 4): what a run did, how long it took, what it used. */
import { VERSION } from "./version.ts";
import type { Report as DesignReport } from "../io/report.ts";
import type { TileFigures } from "../io/tile_panel.ts";
import type { GrantsInForce } from "./grants.ts";
import type { Exchange, ReconstructOptions } from "./options.ts";

/**
 * The fields of `report.json`; also printed by `--json`: the DESIGN fields of the writer's
 * {@link DesignReport} and what the engine adds about the run.
 */
export type Report = DesignReport & {
  tessera_version: string;
  input: string;
  out: string;
  exchange: Exchange;
  noise: string;
  probe_modes: number;
  /** Iteration the run continued from (`--resume`), else 0. */
  resumed_from_iteration: number;
  /** True when the run was stopped (Ctrl-C) before its last iteration. */
  interrupted: boolean;
  seed: number;
  /** The permissions the run held (DESIGN section 7, Grants). */
  permissions?: GrantsInForce;
  /** The factor the initial illumination was multiplied by to match the data (DESIGN section 7). */
  probe_rescale: number;
  /** The amplitude R-factor beside each of `loss_values` (null where unknown). */
  r_factor_values: number[];
  /** Each output probe mode's fraction of the power, strongest first. */
  probe_mode_power: number[];
  /** First iteration that refined positions, or null (DESIGN section 7, Positions). */
  correct_positions_from: number | null;
  /** With position correction: the RMS and largest distance of refined from measured, pixels. */
  position_moves_px?: { rms: number; max: number };
  /** MPI ranks of the run (`reconstruct --mpi`); absent for a run in one process. */
  ranks?: number;
  /**
   * Under MPI, each rank's device bytes: the sum of its workers' peaks (each worker's own peak is
   * in `device_bytes_peak_per_worker`, rank by rank).
   */
  device_bytes_peak_per_rank?: number[];
  /** Under MPI, each rank's host memory peak (its process's peak resident set). */
  host_rss_bytes_peak_per_rank?: number[];
  /**
   * A tiled run's last iteration per tile (cost term, R-factor), per worker or rank (busy
   * fraction) and per neighbour band (halo mismatch of the final object); absent for one tile.
   */
  tile_figures?: TileFigures;
};

/** Options of {@link buildReport}. */
export interface ReportInput {
  options: ReconstructOptions;
  source: string;
  out: string;
  positions: number;
  frame: number;
  objectShape: [number, number, number];
  adapter: { description: string; fallback: boolean };
  costs: readonly number[];
  finalCost: number;
  rFactors: readonly number[];
  finalRFactor: number;
  secondsTotal: number;
  /** Wall seconds of each iteration this process ran. */
  iterationSeconds: number[];
  deviceBytesPeak: number[];
  hostRssPeak: number;
  resumedFrom: number;
  interrupted: boolean;
  metrics?: {
    phasePsnrDb: number;
    phaseSsim: number;
    positionErrorRmsPx?: { measured: number; refined: number };
    positionErrorMaxPx?: { measured: number; refined: number };
  };
  probeRescale: number;
  /** Refined and measured positions (object pixels) when position correction ran. */
  positionMoves?: { rms: number; max: number };
  probeModePower: number[];
  /** The tiled run's panel after its last step, with the final object's halo mismatch. */
  tileFigures?: TileFigures | null;
}

/** Assembles the report; `loss_values` holds the cost before each iteration and after the last. */
export function buildReport(r: ReportInput): Report {
  const o = r.options;
  const times = r.iterationSeconds;
  const report: Report = {
    tessera_version: VERSION,
    input: r.source,
    out: r.out,
    algorithm: o.algorithm,
    iterations: r.costs.length,
    tiles: o.tiles,
    workers: o.workers,
    exchange: o.exchange,
    noise: o.noise,
    slices: o.slices,
    probe_modes: o.probeModes,
    positions: r.positions,
    frame: r.frame,
    object_shape: r.objectShape,
    adapter: { description: r.adapter.description, fallback: r.adapter.fallback },
    loss_values: [...r.costs, r.finalCost],
    seconds_total: r.secondsTotal,
    seconds_per_iteration: times.length ? median(times) : 0,
    device_bytes_peak_per_worker: r.deviceBytesPeak,
    host_rss_bytes_peak: r.hostRssPeak,
    resumed_from_iteration: r.resumedFrom,
    interrupted: r.interrupted,
    seed: o.seed,
    probe_rescale: r.probeRescale,
    r_factor_values: [...r.rFactors, r.finalRFactor],
    probe_mode_power: r.probeModePower,
    correct_positions_from: o.correctPositionsFrom ?? null,
    ...(r.positionMoves ? { position_moves_px: r.positionMoves } : {}),
  };
  if (r.tileFigures) report.tile_figures = r.tileFigures;
  if (r.metrics) {
    report.metrics = { phase_psnr_db: r.metrics.phasePsnrDb, phase_ssim: r.metrics.phaseSsim };
    const positions = r.metrics.positionErrorRmsPx;
    if (positions) report.metrics.position_error_rms_px = positions;
    const largest = r.metrics.positionErrorMaxPx;
    if (largest) report.metrics.position_error_max_px = largest;
  }
  return report;
}

/** The median: robust to the first iteration's pipeline compilation. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
