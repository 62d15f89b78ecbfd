/**
 * `report.html` (DESIGN section 7): one self-contained page per output directory that opens
 * offline: the pictures inlined as data URLs, the convergence plot (and the R-factor's, when the
 * run has one) as inline SVG, the run's parameters and `report.json`'s figures. Its
 * Content-Security-Policy forbids every request, so a browser fetches nothing for it.
 */
import { linePlotSvg } from "./line_plot.ts";
import { montageZoom } from "./pictures.ts";
import type { Report } from "./report.ts";
import { tileCaption, type TileFigures, tileGridSvg, tileTables } from "./tile_panel.ts";

/** The pictures of a run, PNG-encoded. */
export interface ReportPictures {
  phase: Uint8Array;
  amplitude: Uint8Array;
  probe: Uint8Array;
}

/** Nothing may be fetched: images are data URLs, styles inline, no scripts. */
export const REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** Bytes as base64. */
export function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** A figure for a table cell: numbers with 4 significant digits, arrays and objects as JSON. */
function cell(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  }
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function table(rows: [string, unknown][]): string {
  const body = rows.filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(cell(v))}</td></tr>`);
  return `<table>\n${body.join("\n")}\n</table>`;
}

/** Width and height of a PNG, from its header. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** A tiled run's panel with its final figures, over the final object's phase. */
function tileSection(figures: TileFigures, report: Report, phase: Uint8Array): string {
  const [, h, w] = report.object_shape;
  const background = {
    href: `data:image/png;base64,${base64(phase)}`,
    ...pngSize(phase),
    zoom: montageZoom(h, w),
  };
  return `<h2>Tiles</h2>
<div id="tiles"><figure>${tileGridSvg(figures, background)}</figure>
${tileTables(figures)}</div>
<p class="caption">${escapeHtml(tileCaption(figures))}</p>`;
}

const STYLE = `body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}
figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}
figure img{max-width:360px;image-rendering:pixelated;border:1px solid #ccc}
figcaption{font-size:.9em;color:#555}
table{border-collapse:collapse;font-size:.9em}th,td{text-align:left;padding:.2em .8em;
border-bottom:1px solid #eee;vertical-align:top}th{font-weight:600}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:.8em}
#tiles{display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start}
#tiles table{margin-bottom:.6em}.caption{font-size:.9em;color:#555}`;

/**
 * The page for `report` and its pictures.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/demo/report.html", reportHtml(report, pictures));
 * ```
 */
export function reportHtml(report: Report, pictures: ReportPictures): string {
  const losses = report.loss_values;
  const rFactor = Array.isArray(report.r_factor_values) ? report.r_factor_values as number[] : null;
  const image = (png: Uint8Array, caption: string) =>
    `<figure><img alt="${escapeHtml(caption)}" src="data:image/png;base64,${base64(png)}">` +
    `<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
  const metrics = report.metrics;
  const title = `Tessera: ${report.algorithm} on ${String(report.input ?? "")}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${report.iterations} iterations${report.interrupted ? " (stopped early)" : ""}, ` +
    `${cell(report.seconds_total)} s in all, ${cell(report.seconds_per_iteration)} s per ` +
    `iteration; final cost ${cell(losses[losses.length - 1])}.</p>
<h2>Pictures</h2>
${image(pictures.phase, "object phase")}
${image(pictures.amplitude, "object amplitude")}
${image(pictures.probe, "probe modes (hue: phase, brightness: amplitude)")}
${
      report.tile_figures
        ? tileSection(report.tile_figures as TileFigures, report, pictures.phase)
        : ""
    }
<h2>Convergence</h2>
<figure id="cost-plot">${linePlotSvg(losses, { label: "cost" })}</figure>
${
      rFactor
        ? `<figure id="r-factor-plot">${
          linePlotSvg(rFactor, { label: "R-factor", colour: "#a8451f" })
        }</figure>`
        : ""
    }
<h2>Parameters</h2>
${
      table([
        ["input", report.input],
        ["output", report.out],
        ["algorithm", report.algorithm],
        ["iterations", report.iterations],
        ["tiles", report.tiles.join(" x ")],
        ["workers", report.workers],
        ["exchange", report.exchange],
        ["noise model", report.noise],
        ["probe modes", report.probe_modes],
        ["slices", report.slices],
        ["positions", report.positions],
        ["frame", report.frame],
        ["object shape", report.object_shape.join(" x ")],
        ["seed", report.seed],
        ["resumed from iteration", report.resumed_from_iteration],
        ["Tessera", report.tessera_version],
      ])
    }
<h2>Figures</h2>
${
      table([
        ["adapter", `${report.adapter.description}${report.adapter.fallback ? " (fallback)" : ""}`],
        ["seconds in all", report.seconds_total],
        ["seconds per iteration (median)", report.seconds_per_iteration],
        ["final cost", losses[losses.length - 1]],
        ["final R-factor", rFactor ? rFactor[rFactor.length - 1] : undefined],
        ["phase PSNR (dB)", metrics?.phase_psnr_db],
        ["phase SSIM", metrics?.phase_ssim],
        ["device bytes peak per worker", report.device_bytes_peak_per_worker],
        ["host RSS peak (bytes)", report.host_rss_bytes_peak],
        ["permissions", report.permissions],
      ])
    }
<h2>report.json</h2>
<details><summary>all fields</summary><pre>${
      escapeHtml(JSON.stringify(report, null, 2))
    }</pre></details>
</body>
</html>
`;
}
