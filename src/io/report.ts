/**
 * `report.json` (DESIGN section 4): what a run did and measured, the same object that
 * `reconstruct --json` prints.
 */

/** The fields of report.json. */
export interface Report {
  algorithm: string;
  iterations: number;
  tiles: [number, number];
  workers: number;
  exchange: "sync" | "async";
  slices: number;
  positions: number;
  frame: number;
  object_shape: [number, number, number];
  adapter: { description: string; fallback: boolean };
  loss_values: number[];
  seconds_total: number;
  seconds_per_iteration: number;
  device_bytes_peak_per_worker: number[];
  host_rss_bytes_peak: number;
  /**
   * Present when the data set has a ground truth; with its true scan positions, also the RMS
   * and the largest error (pixels, common shift removed) of the measured and of the refined
   * positions.
   */
  metrics?: {
    phase_psnr_db: number;
    phase_ssim: number;
    position_error_rms_px?: { measured: number; refined: number };
    position_error_max_px?: { measured: number; refined: number };
  };
  /** Anything else a run wants to record (input file, clipped negatives, options). */
  [extra: string]: unknown;
}

const REQUIRED = [
  "algorithm",
  "iterations",
  "tiles",
  "workers",
  "exchange",
  "slices",
  "positions",
  "frame",
  "object_shape",
  "adapter",
  "loss_values",
  "seconds_total",
  "seconds_per_iteration",
  "device_bytes_peak_per_worker",
  "host_rss_bytes_peak",
] as const;

/**
 * The report as JSON text (two-space indented, trailing newline). Throws a TypeError naming
 * any field DESIGN requires that is missing, so a half-filled report is never written.
 * Non-finite numbers (a diverged cost) become null, as JSON has no NaN.
 */
export function reportJson(report: Report): string {
  const missing = REQUIRED.filter((key) => report[key] === undefined);
  if (missing.length) {
    throw new TypeError(`Cannot write report.json: missing ${missing.join(", ")}`);
  }
  return JSON.stringify(
    report,
    (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    2,
  ) +
    "\n";
}

/**
 * The host's peak resident set size in bytes (VmHWM from /proc/self/status on Linux), or the
 * current RSS where that file does not exist.
 */
export function hostRssPeak(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(status);
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through to the current RSS.
  }
  return Deno.memoryUsage().rss;
}
