/**
 * A small line plot of one value per iteration on a linear axis, as inline SVG: the live view
 * and `report.html` draw the cost (which the Poisson model makes negative, so a log axis cannot
 * show it) and the R-factor with it. One `<circle>` per finite value.
 */

/** Options of {@link linePlotSvg}. */
export interface LinePlotOptions {
  /** Label of the vertical axis. */
  label: string;
  width?: number;
  height?: number;
  colour?: string;
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

/** A value with 4 significant digits, in exponent form when large or small. */
function tickText(v: number): string {
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0)
    ? v.toExponential(3)
    : v.toPrecision(4);
}

/**
 * Draws `values[i]` against iteration i. Non-finite values (a diverged cost) are left out.
 *
 * @example
 * ```ts
 * document.body.innerHTML = linePlotSvg([3, 2, 1.5], { label: "cost" });
 * ```
 */
export function linePlotSvg(values: ArrayLike<number>, options: LinePlotOptions): string {
  const width = options.width ?? 560, height = options.height ?? 260;
  const left = 92, right = 16, top = 14, bottom = 40;
  const plotW = width - left - right, plotH = height - top - bottom;
  const colour = options.colour ?? "#1f5fa8";
  const points = Array.from(values, (v, i) => [i, v] as const).filter(([, v]) =>
    Number.isFinite(v)
  );
  let lo = Math.min(...points.map(([, v]) => v)), hi = Math.max(...points.map(([, v]) => v));
  if (!points.length) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - Math.abs(lo || 1) * 0.5, hi + Math.abs(hi || 1) * 0.5];
  const last = Math.max(1, values.length - 1);
  const x = (i: number) => (left + (i / last) * plotW).toFixed(1);
  const y = (v: number) => (top + (1 - (v - lo) / (hi - lo)) * plotH).toFixed(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" ` +
    `data-points="${points.length}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
  ];
  for (const v of [lo, (lo + hi) / 2, hi]) {
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e4e4"/>`,
      `<text x="${left - 5}" y="${y(v)}" text-anchor="end" dominant-baseline="middle">` +
        `${tickText(v)}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(last / 8));
  for (let i = 0; i <= last; i += step) {
    parts.push(`<text x="${x(i)}" y="${top + plotH + 15}" text-anchor="middle">${i}</text>`);
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">iteration</text>`,
    `<text transform="translate(12 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">` +
      `${escapeXml(options.label)}</text>`,
  );
  if (points.length) {
    const d = points.map(([i, v], k) => `${k ? "L" : "M"}${x(i)} ${y(v)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.5"/>`);
    for (const [i, v] of points) {
      parts.push(`<circle cx="${x(i)}" cy="${y(v)}" r="2.5" fill="${colour}"/>`);
    }
  }
  parts.push("</svg>");
  return parts.join("\n");
}
