/**
 * `convergence.svg`: cost per iteration on a logarithmic axis, with labelled axes and decade
 * ticks, and the amplitude R-factor on a linear axis at the right, as a standalone SVG document.
 * A cost that goes negative (the Poisson cost, whose constant term is left out) is drawn as it is
 * on a linear axis instead, which a log axis could not show at all.
 */

/** Options of {@link convergenceSvg}. */
export interface ConvergenceOptions {
  /** Title above the plot, e.g. the algorithm and data set. */
  title?: string;
  /** Label of the vertical axis; default "cost". */
  costLabel?: string;
  width?: number;
  height?: number;
  /** The amplitude R-factor beside each cost, drawn on its own linear axis (right). */
  rFactors?: ArrayLike<number>;
}

const R_COLOUR = "#c0392b";

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/** A decade as 10 with a superscript exponent: 10⁶, 10⁻³. */
function decadeText(exponent: number): string {
  const digits = [...String(Math.abs(exponent))].map((c) => SUPERSCRIPT[Number(c)]).join("");
  return `10${exponent < 0 ? "⁻" : ""}${digits}`;
}

/**
 * Draws cost against iteration (from 0) on a log axis, leaving out non-finite costs and, there,
 * zeros; when any finite cost is negative, all finite costs on a linear axis.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("convergence.svg", convergenceSvg([9e5, 3e5, 1e5], { title: "cg" }));
 * ```
 */
export function convergenceSvg(costs: ArrayLike<number>, options: ConvergenceOptions = {}): string {
  const width = options.width ?? 640, height = options.height ?? 400;
  const residuals = Array.from(options.rFactors ?? [], (r, i) => [i, r] as const).filter((
    [, r],
  ) => Number.isFinite(r) && r >= 0);
  const left = 80, right = residuals.length ? 64 : 20, top = 40, bottom = 56;
  const plotW = width - left - right, plotH = height - top - bottom;
  const finite = Array.from(costs, (c, i) => [i, c] as const).filter(([, c]) => Number.isFinite(c));
  const linear = finite.some(([, c]) => c < 0);
  const points = linear ? finite : finite.filter(([, c]) => c > 0);
  const values = points.map(([, c]) => c);
  const scale = linear ? linearScale(values) : logScale(values);
  const lastIteration = Math.max(1, costs.length - 1);
  const x = (i: number) => left + (i / lastIteration) * plotW;
  const y = (c: number) => top + (1 - scale.at(c)) * plotH;
  const f = (v: number) => v.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  );
  if (options.title) {
    parts.push(
      `<text x="${width / 2}" y="22" text-anchor="middle" font-size="14">` +
        `${escapeXml(options.title)}</text>`,
    );
  }
  for (const v of scale.minor) {
    const yy = f(y(v));
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" stroke="#f0f0f0"/>`);
  }
  for (const [v, label] of scale.ticks) {
    const yy = f(y(v));
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" stroke="#ccc"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">` +
        `${label}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(lastIteration / 8));
  for (let i = 0; i <= lastIteration; i += step) {
    parts.push(
      `<line x1="${f(x(i))}" x2="${f(x(i))}" y1="${top + plotH}" y2="${top + plotH + 5}" ` +
        `stroke="black"/>`,
      `<text x="${f(x(i))}" y="${top + plotH + 18}" text-anchor="middle">${i}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="black"/>`,
    `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">iteration</text>`,
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">` +
      `${escapeXml(options.costLabel ?? "cost")} (${linear ? "linear" : "log"} scale)</text>`,
  );
  if (points.length) {
    const d = points.map(([i, c], k) => `${k ? "L" : "M"}${f(x(i))} ${f(y(c))}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`);
    for (const [i, c] of points) {
      parts.push(`<circle cx="${f(x(i))}" cy="${f(y(c))}" r="2.5" fill="#1f5fa8"/>`);
    }
  }
  if (residuals.length) parts.push(...rFactorAxis(residuals, { left, top, plotW, plotH, x }));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Where a value sits on an axis (0 bottom, 1 top), its labelled ticks and its minor lines. */
interface Scale {
  at: (v: number) => number;
  ticks: [number, string][];
  minor: number[];
}

/** Decades around the values, with minor lines at 2..9 times each. */
function logScale(values: number[]): Scale {
  let lo = Math.floor(Math.log10(values.length ? Math.min(...values) : 1));
  let hi = Math.ceil(Math.log10(values.length ? Math.max(...values) : 10));
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const ticks: [number, string][] = [], minor: number[] = [];
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    for (let m = 2; m <= 9; m++) {
      const v = Math.log10(m * 10 ** d);
      if (v > lo && v < hi) minor.push(m * 10 ** d);
    }
    if (d >= lo && d <= hi) ticks.push([10 ** d, decadeText(d)]);
  }
  return { at: (v) => (Math.log10(v) - lo) / (hi - lo), ticks, minor };
}

/** A linear axis from a round step below the smallest value to one above the largest. */
function linearScale(values: number[]): Scale {
  let min = Math.min(...values), max = Math.max(...values);
  if (!(max > min)) [min, max] = [min - Math.abs(min || 1) * 0.01, max + Math.abs(max || 1) * 0.01];
  const rough = (max - min) / 5;
  const decade = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= rough)!;
  const lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
  const ticks: [number, string][] = [];
  for (let k = 0; lo + k * step <= hi + step / 2; k++) {
    const v = lo + k * step;
    ticks.push([v, Number(v.toPrecision(6)).toExponential()]);
  }
  return { at: (v) => (v - lo) / (hi - lo), ticks, minor: [] };
}

/** The R-factor's line and its linear axis (0 to a round maximum) along the plot's right side. */
function rFactorAxis(
  points: (readonly [number, number])[],
  g: { left: number; top: number; plotW: number; plotH: number; x: (i: number) => number },
): string[] {
  const peak = Math.max(...points.map(([, r]) => r), 1e-6);
  // A round top: 1, 2 or 5 times a power of ten, at or above the largest value.
  const decade = 10 ** Math.floor(Math.log10(peak));
  const top = [1, 2, 5, 10].map((m) => m * decade).find((v) => v >= peak)!;
  const y = (r: number) => g.top + (1 - r / top) * g.plotH;
  const f = (v: number) => v.toFixed(1);
  const right = g.left + g.plotW;
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    parts.push(
      `<line x1="${right}" x2="${right + 5}" y1="${f(y(v))}" y2="${
        f(y(v))
      }" stroke="${R_COLOUR}"/>`,
      `<text x="${right + 8}" y="${f(y(v))}" dominant-baseline="middle" fill="${R_COLOUR}">` +
        `${Number(v.toPrecision(3))}</text>`,
    );
  }
  const d = points.map(([i, r], k) => `${k ? "L" : "M"}${f(g.x(i))} ${f(y(r))}`).join(" ");
  parts.push(
    `<path d="${d}" fill="none" stroke="${R_COLOUR}" stroke-width="2" stroke-dasharray="6 3"/>`,
    `<text transform="translate(${right + 56} ${g.top + g.plotH / 2}) rotate(90)" ` +
      `text-anchor="middle" fill="${R_COLOUR}">amplitude R-factor (dashed)</text>`,
  );
  return parts;
}
