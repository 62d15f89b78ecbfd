/**
 * The tiled-run panel of the live view and of report.html: the tile grid drawn over the object's
 * phase, each tile coloured by its own amplitude R-factor and labelled with its share of the cost,
 * the halo mismatch between neighbouring tiles on their shared band, and tables of the tiles, the
 * bands and the workers' (and MPI ranks') busy fractions. The figures are the engine's (`TileFigures`); this module only
 * draws them, as SVG and HTML text with no script, so the same markup serves both pages.
 */
import type { Rect } from "../tiling/types.ts";

/** One tile's residual in an iteration: its positions' share of the cost and of the R-factor. */
export interface TileFigure {
  tile: number;
  /** The pixels the tile owns, in object coordinates. */
  core: Rect;
  /** The worker that holds it (the pool's worker, or the MPI participant). */
  worker: number;
  /** The MPI rank holding it, or null when the run has no ranks. */
  rank: number | null;
  /** The tile's own term of the cost (the cost is the sum of these, in tile order). */
  cost: number;
  /** Its own amplitude R-factor, over its positions' frames (null when not known). */
  rFactor: number | null;
  /** Its share of the run's R-factor: its numerator over every tile's denominator. */
  rShare: number | null;
}

/** How far two neighbouring tiles' copies of their shared halo band differ, before stitching. */
export interface HaloFigure {
  /** The two tiles, lower index first. */
  tiles: [number, number];
  /** The band both extended regions hold, in object coordinates. */
  band: Rect;
  /** The largest modulus of the difference of the complex object over the band (all slices). */
  max: number;
  /** Its root mean square over the band. */
  rms: number;
}

/** One worker's (or rank's) share of the last iteration spent computing. */
export interface WorkerFigure {
  worker: number;
  rank: number | null;
  tiles: number[];
  /** 1 - (time inside the transport's collectives) / (wall time of the iteration), in [0, 1]. */
  busy: number;
}

/** What the panel shows of one iteration of a tiled run. */
export interface TileFigures {
  /** The transport the tiles talk over: `local`, `workers` or `mpi`. */
  transport: string;
  /** The tile grid asked for (rows, columns); tiles without positions are not in `tiles`. */
  grid: [number, number];
  objectShape: [number, number];
  /** The iteration the residuals and busy fractions are of (from 0). */
  iteration: number;
  tiles: TileFigure[];
  workers: WorkerFigure[];
  /** The halo mismatches, measured when the object was last read back; null before that. */
  halo: HaloFigure[] | null;
  /** The iteration after which the halo was measured. */
  haloIteration: number | null;
}

/** The object picture under the grid: its address and size in pixels, and its zoom. */
export interface PanelBackground {
  href: string;
  /** The picture's size in pixels; the first slice fills its top-left `zoom` x object. */
  width: number;
  height: number;
  zoom: number;
}

/** Escapes text for SVG and HTML content and attributes. */
function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** A number with 3 significant digits, `-` when unknown. */
export function figure(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "-";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  return abs >= 1e-3 && abs < 1e5 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}

/** Red with an opacity from 0 to 0.4 in proportion to `t` in [0, 1]. */
function heat(t: number): string {
  const a = 0.4 * Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return `rgba(230,30,20,${a.toFixed(3)})`;
}

/**
 * How each participant is named: `worker w` outside MPI; under MPI `rank r, worker w` with w its
 * index among its rank's workers (as the error naming a failed worker does), the participant
 * numbers being r x W + w. The table cell is the same without the words.
 */
function holders(f: TileFigures): (worker: number) => { label: string; cell: string } {
  const local = new Map<number, number>();
  const seen = new Map<number, number>();
  for (const w of [...f.workers].sort((a, b) => a.worker - b.worker)) {
    if (w.rank === null) continue;
    const index = seen.get(w.rank) ?? 0;
    local.set(w.worker, index);
    seen.set(w.rank, index + 1);
  }
  const rankOf = new Map(f.workers.map((w) => [w.worker, w.rank]));
  for (const t of f.tiles) if (!rankOf.has(t.worker)) rankOf.set(t.worker, t.rank);
  return (worker) => {
    const rank = rankOf.get(worker) ?? null;
    if (rank === null) return { label: `worker ${worker}`, cell: String(worker) };
    const w = local.get(worker) ?? worker;
    return { label: `rank ${rank}, worker ${w}`, cell: `${rank}, ${w}` };
  };
}

/**
 * Where two tiles' cores meet along an edge: the middle of their common boundary, or null for
 * tiles that touch at a corner or not at all (their halo mismatch is in the table only).
 */
export function sharedEdge(a: Rect, b: Rect): { x: number; y: number } | null {
  const span = (a0: number, a1: number, b0: number, b1: number) => {
    const lo = Math.max(a0, b0), hi = Math.min(a1, b1);
    return hi > lo ? (lo + hi) / 2 : null;
  };
  const xs = span(a.x0, a.x0 + a.width, b.x0, b.x0 + b.width);
  const ys = span(a.y0, a.y0 + a.height, b.y0, b.y0 + b.height);
  if (xs !== null && (a.y0 + a.height === b.y0 || b.y0 + b.height === a.y0)) {
    return { x: xs, y: a.y0 + a.height === b.y0 ? b.y0 : a.y0 };
  }
  if (ys !== null && (a.x0 + a.width === b.x0 || b.x0 + b.width === a.x0)) {
    return { x: a.x0 + a.width === b.x0 ? b.x0 : a.x0, y: ys };
  }
  return null;
}

/**
 * The grid over the object as one SVG in object-pixel coordinates: each tile's core outlined and
 * tinted by its R-factor relative to the largest, labelled with its number, holder, cost term and
 * R-factor; on each edge two tiles share, their largest halo mismatch in blue.
 */
export function tileGridSvg(f: TileFigures, background: PanelBackground | null): string {
  const [h, w] = f.objectShape;
  const worst = Math.max(0, ...f.tiles.map((t) => t.rFactor ?? 0));
  const line = Math.max(h, w) / 250;
  const outline = `stroke="#000" stroke-width="${(line * 1.2).toFixed(2)}" paint-order="stroke"`;
  const parts: string[] = [];
  if (background) {
    const z = background.zoom;
    parts.push(
      `<image href="${esc(background.href)}" x="0" y="0" width="${background.width / z}" ` +
        `height="${background.height / z}" preserveAspectRatio="none" ` +
        `style="image-rendering:pixelated"/>`,
    );
  }
  const cores = new Map(f.tiles.map((t) => [t.tile, t.core]));
  const holder = holders(f);
  for (const t of f.tiles) {
    const { x0, y0, width, height } = t.core;
    const cx = x0 + width / 2, cy = y0 + height / 2;
    const size = Math.min(width / 12, height / 7);
    const row = (text: string, dy: number) =>
      `<tspan x="${cx}" dy="${(dy * size).toFixed(2)}">${esc(text)}</tspan>`;
    parts.push(
      `<g class="tile" data-tile="${t.tile}" data-worker="${t.worker}"` +
        (t.rank === null ? "" : ` data-rank="${t.rank}"`) +
        ` data-cost="${t.cost}" data-r-factor="${t.rFactor ?? ""}">` +
        `<rect x="${x0}" y="${y0}" width="${width}" height="${height}" ` +
        `fill="${heat(worst > 0 ? (t.rFactor ?? 0) / worst : 0)}" stroke="#ffd400" ` +
        `stroke-width="${line.toFixed(2)}"/>` +
        `<text x="${cx}" y="${cy}" text-anchor="middle" fill="#fff" ${outline} ` +
        `font-size="${size.toFixed(2)}">` +
        row(`tile ${t.tile}, ${holder(t.worker).label}`, -0.9) +
        row(`cost ${figure(t.cost)}`, 1.2) +
        row(`R ${figure(t.rFactor)}`, 1.2) + `</text></g>`,
    );
  }
  for (const e of f.halo ?? []) {
    const [a, b] = e.tiles.map((t) => cores.get(t));
    const at = a && b ? sharedEdge(a, b) : null;
    if (!at || !a || !b) continue;
    const size = Math.min(a.width, a.height, b.width, b.height) / 10;
    parts.push(
      `<text class="halo" data-tiles="${e.tiles.join("-")}" data-max="${e.max}" ` +
        `data-rms="${e.rms}" x="${at.x}" y="${at.y}" text-anchor="middle" ` +
        `dominant-baseline="middle" fill="#7cc4ff" ${outline} font-size="${size.toFixed(2)}">` +
        `${esc(figure(e.max))}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="tile-grid" viewBox="0 0 ${w} ${h}" ` +
    `width="360" height="${Math.round((360 * h) / w)}" role="img" ` +
    `aria-label="tile grid over the object phase">` +
    `<rect x="0" y="0" width="${w}" height="${h}" fill="#282828"/>${parts.join("")}</svg>`;
}

/** The panel's tables: tiles, halo bands, and workers or ranks. */
export function tileTables(f: TileFigures): string {
  const rows = (cells: string[][]) =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("");
  const ranks = f.tiles.some((t) => t.rank !== null);
  const holder = holders(f);
  const held = ranks ? "rank, worker" : "worker";
  const tiles = `<table class="tiles"><tr><th>tile</th><th>${held}</th>` +
    `<th>cost term</th><th>R-factor</th><th>share of R</th></tr>${
      rows(f.tiles.map((t) => [
        String(t.tile),
        holder(t.worker).cell,
        figure(t.cost),
        figure(t.rFactor),
        figure(t.rShare),
      ]))
    }</table>`;
  const halo = f.halo === null
    ? `<p class="halo-none">halo: not measured yet (it is read with the pictures)</p>`
    : `<table class="halo"><tr><th>tiles</th><th>band (px)</th><th>max |difference|</th>` +
      `<th>RMS</th></tr>${
        rows(f.halo.map((e) => [
          e.tiles.join(" | "),
          `${e.band.height} x ${e.band.width}`,
          figure(e.max),
          figure(e.rms),
        ]))
      }</table>`;
  const workers = `<table class="workers"><tr><th>${held}</th>` +
    `<th>tiles</th><th>busy</th></tr>${
      f.workers.map((w) =>
        `<tr data-busy="${w.busy}"><td>${esc(holder(w.worker).cell)}</td>` +
        `<td>${esc(w.tiles.join(", "))}</td><td>${(100 * w.busy).toFixed(0)} %</td></tr>`
      ).join("")
    }</table>`;
  return `<div class="tile-tables">${tiles}${halo}${workers}</div>`;
}

/** The panel's caption: what the colours and numbers mean. */
export function tileCaption(f: TileFigures): string {
  const halo = f.haloIteration === null ? "" : `, halo after iteration ${f.haloIteration + 1}`;
  return `${f.grid.join(" x ")} tiles over ${f.transport}, iteration ${f.iteration + 1}${halo}. ` +
    "Cost and R: the tile's own term of the cost and its positions' amplitude R-factor at the " +
    "iteration's last evaluation (the updated object when its step was accepted); red opacity " +
    "in proportion to R (the largest 40 %). Blue, on an edge two tiles share: the largest " +
    "difference of their object copies over the halo band both hold, before stitching (every " +
    "neighbour pair in the table). Busy: the iteration's wall time outside the transport's " +
    "collectives.";
}
