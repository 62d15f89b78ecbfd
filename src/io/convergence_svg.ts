/**
 * `convergence.svg`: cost per iteration on a logarithmic axis, with labelled axes and decade
 * ticks, as a standalone SVG document.
 */

/** Options of {@link convergenceSvg}. */
export interface ConvergenceOptions {
  /** Title above the plot, e.g. the algorithm and data set. */
  title?: string;
  /** Label of the vertical axis; default "cost". */
  costLabel?: string;
  width?: number;
  height?: number;
}

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
 * Draws cost against iteration (from 0). Non-positive or non-finite costs, which a log axis
 * cannot show, are left out of the line.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("convergence.svg", convergenceSvg([9e5, 3e5, 1e5], { title: "cg" }));
 * ```
 */
export function convergenceSvg(costs: ArrayLike<number>, options: ConvergenceOptions = {}): string {
  const width = options.width ?? 640, height = options.height ?? 400;
  const left = 80, right = 20, top = 40, bottom = 56;
  const plotW = width - left - right, plotH = height - top - bottom;
  const points = Array.from(costs, (c, i) => [i, c] as const).filter(([, c]) =>
    c > 0 && Number.isFinite(c)
  );
  const values = points.map(([, c]) => c);
  let lo = Math.floor(Math.log10(values.length ? Math.min(...values) : 1));
  let hi = Math.ceil(Math.log10(values.length ? Math.max(...values) : 10));
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const lastIteration = Math.max(1, costs.length - 1);
  const x = (i: number) => left + (i / lastIteration) * plotW;
  const y = (c: number) => top + (1 - (Math.log10(c) - lo) / (hi - lo)) * plotH;
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
  for (let d = Math.floor(lo); d <= Math.ceil(hi); d++) {
    // Minor lines at 2..9 x 10^d help read values between decades.
    for (let m = 2; m <= 9; m++) {
      const v = Math.log10(m * 10 ** d);
      if (v <= lo || v >= hi) continue;
      const yy = f(y(m * 10 ** d));
      parts.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" stroke="#f0f0f0"/>`,
      );
    }
    if (d < lo || d > hi) continue;
    const yy = f(y(10 ** d));
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" stroke="#ccc"/>`,
      `<text x="${left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">` +
        `${decadeText(d)}</text>`,
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
      `${escapeXml(options.costLabel ?? "cost")} (log scale)</text>`,
  );
  if (points.length) {
    const d = points.map(([i, c], k) => `${k ? "L" : "M"}${f(x(i))} ${f(y(c))}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`);
    for (const [i, c] of points) {
      parts.push(`<circle cx="${f(x(i))}" cy="${f(y(c))}" r="2.5" fill="#1f5fa8"/>`);
    }
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
