/**
 * The live view of `reconstruct --serve` (DESIGN section 7): a page on `Deno.serve` that follows
 * a run through server-sent events: cost (and R-factor) per iteration, seconds per iteration and
 * time left, busy workers, and the object's phase and amplitude and the probe as PNGs. A tiled
 * run adds its tile panel (`io/tile_panel.ts`): the grid over the phase with each tile's residual,
 * the halo mismatch between neighbours (measured with the pictures, so under the same budget) and
 * each worker's or rank's busy fraction.
 *
 * Reading the object back from the device(s) and encoding PNGs costs time, so pictures are made
 * only while a page is connected, at most once per iteration, and only while their cost stays
 * under {@link PICTURE_BUDGET} of the computing time since the last ones. The page is read-only
 * except for its stop button, which does what Ctrl-C does. With a token every request must carry
 * it (`?token=` or `Authorization: Bearer`), else 401; the token is never logged.
 */
import type { IterationInfo } from "../engine/reconstruct.ts";
import { linePlotSvg } from "../io/line_plot.ts";
import { montageZoom, objectAmplitudeImage, objectPhaseImage, probeImage } from "../io/pictures.ts";
import { encodePng } from "../io/png.ts";
import {
  type PanelBackground,
  tileCaption,
  type TileFigures,
  tileGridSvg,
  tileTables,
} from "../io/tile_panel.ts";
import { isLoopback, type ServeAddress } from "./address.ts";
import { livePage } from "./page.ts";

/** Pictures may cost at most this fraction of the computing time between two of them. */
export const PICTURE_BUDGET = 0.04;

/** Options of {@link LiveView.start}. */
export interface LiveViewOptions {
  address: ServeAddress;
  /** Token every request must carry, or null (loopback only). */
  token: string | null;
  /** Called once when the page's stop button is pressed. */
  onStop: () => void;
  /** Where the view says where it listens and who stopped the run. */
  log: (line: string) => void;
}

/** The pictures of one iteration. */
interface Pictures {
  iteration: number;
  png: Record<"phase" | "amplitude" | "probe", Uint8Array>;
  /** The phase picture under the tile grid (its address without the token). */
  phase: PanelBackground;
}

/** What the page shows of one iteration. */
interface Point {
  iteration: number;
  total: number;
  cost: number;
  rFactor: number | null;
  seconds: number;
  busy: number;
  workers: number;
}

const encoder = new TextEncoder();

/** The live view's server and the state it shows. */
export class LiveView {
  #points: Point[] = [];
  #pictures: Pictures | null = null;
  /** A tiled run's panel: the latest iteration's, with the halo of the latest pictures. */
  #tiles: TileFigures | null = null;
  #clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  #status: "running" | "stopping" | "done" = "running";
  #done: Record<string, unknown> | null = null;
  #sinceLastPictures = 0;
  #lastPictureSeconds = 0;
  #server: Deno.HttpServer | null = null;
  #url = "";

  private constructor(private readonly options: LiveViewOptions) {}

  /** Starts listening; resolves once the address is bound. */
  static async start(options: LiveViewOptions): Promise<LiveView> {
    const view = new LiveView(options);
    await new Promise<void>((resolve, reject) => {
      try {
        view.#server = Deno.serve({
          hostname: options.address.hostname,
          port: options.address.port,
          onListen: ({ hostname, port }) => {
            const host = hostname.includes(":") ? `[${hostname}]` : hostname;
            view.#url = `http://${host}:${port}/`;
            resolve();
          },
          onError: () => new Response("Internal error", { status: 500 }),
        }, (request) => view.#handle(request));
      } catch (error) {
        reject(error);
      }
    });
    options.log(
      `Live view on ${view.#url}` + (options.token ? "?token=<your --serve-token>" : ""),
    );
    return view;
  }

  /** The page's address (without the token). */
  get url(): string {
    return this.#url;
  }

  /** Pages connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /**
   * Shows one finished iteration; makes pictures when a page is connected and the budget
   * allows. The run waits for this before its next iteration.
   */
  async iteration(event: IterationInfo): Promise<void> {
    // The engine's per-iteration R-factor (DESIGN section 7, Residual), when it computes one.
    const rFactor = (event as { rFactor?: unknown }).rFactor;
    const point: Point = {
      iteration: event.iteration,
      total: event.total,
      cost: event.cost,
      // NaN is the engine's "not known" (before a resume, or a session without it).
      rFactor: typeof rFactor === "number" && Number.isFinite(rFactor) ? rFactor : null,
      seconds: event.seconds,
      busy: event.busy,
      workers: event.workers,
    };
    this.#points.push(point);
    this.#tiles = event.tiles;
    this.#sinceLastPictures += event.seconds;
    const due = this.#lastPictureSeconds <= PICTURE_BUDGET * this.#sinceLastPictures;
    if (this.#clients.size > 0 && due) {
      const t0 = performance.now();
      const { object, probe, pixelSize, tiles } = await event.snapshot();
      const phase = objectPhaseImage(object, pixelSize);
      const [, h, w] = object.shape;
      this.#pictures = {
        iteration: event.iteration,
        png: {
          phase: await encodePng(phase),
          amplitude: await encodePng(objectAmplitudeImage(object, pixelSize)),
          probe: await encodePng(probeImage(probe, pixelSize)),
        },
        phase: {
          href: "phase.png",
          width: phase.width,
          height: phase.height,
          zoom: montageZoom(h, w),
        },
      };
      if (tiles) this.#tiles = tiles;
      this.#lastPictureSeconds = (performance.now() - t0) / 1000;
      this.#sinceLastPictures = 0;
    }
    this.#send("iteration", this.#state());
  }

  /** A log line for the page. */
  log(line: string): void {
    this.#send("log", { line });
  }

  /** Tells the page how the run ended. */
  finish(outcome: { out: string; interrupted: boolean }): void {
    this.#status = "done";
    this.#done = outcome;
    this.#send("done", this.#state());
  }

  /** Ends every page's event stream and stops listening. */
  async close(): Promise<void> {
    for (const client of this.#clients) {
      try {
        client.close();
      } catch {
        // The page went away first.
      }
    }
    this.#clients.clear();
    await this.#server?.shutdown();
  }

  #state(): Record<string, unknown> {
    const costs = this.#points.map((p) => p.cost);
    const rFactors = this.#points.map((p) => p.rFactor);
    const recent = this.#points.slice(-10);
    const perIteration = recent.reduce((s, p) => s + p.seconds, 0) / Math.max(1, recent.length);
    const last = this.#points.at(-1) ?? null;
    return {
      status: this.#status,
      done: this.#done,
      last,
      secondsPerIteration: perIteration,
      secondsLeft: last ? perIteration * (last.total - last.iteration - 1) : null,
      pictures: this.#pictures?.iteration ?? null,
      plot: linePlotSvg(costs, { label: "cost" }),
      rPlot: rFactors.some((r) => r !== null)
        ? linePlotSvg(rFactors.map((r) => r ?? NaN), { label: "R-factor", colour: "#a8451f" })
        : null,
      tiles: this.#tiles
        ? {
          grid: tileGridSvg(this.#tiles, this.#pictures?.phase ?? null),
          tables: tileTables(this.#tiles),
          caption: tileCaption(this.#tiles),
          busy: this.#tiles.workers.reduce((sum, w) => sum + w.busy, 0) /
            Math.max(1, this.#tiles.workers.length),
        }
        : null,
    };
  }

  #send(event: string, data: unknown): void {
    const bytes = encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    for (const client of this.#clients) {
      try {
        client.enqueue(bytes);
      } catch {
        this.#clients.delete(client);
      }
    }
  }

  #handle(request: Request): Response {
    const url = new URL(request.url);
    if (!this.#hostAllowed(request)) return text(403, "Forbidden: unexpected Host header");
    if (!this.#authorized(request, url)) {
      return new Response("Unauthorized: this live view needs its token (?token=...)\n", {
        status: 401,
        headers: { "www-authenticate": 'Bearer realm="tessera"', "content-type": "text/plain" },
      });
    }
    const route = `${request.method} ${url.pathname}`;
    if (route === "GET /") {
      return new Response(livePage(), {
        headers: {
          "content-type": "text/html; charset=utf-8",
          "cache-control": "no-store",
          "content-security-policy":
            "default-src 'none'; img-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; " +
            "script-src 'unsafe-inline'",
        },
      });
    }
    if (route === "GET /events") return this.#events();
    const picture = /^GET \/(phase|amplitude|probe)\.png$/.exec(route);
    if (picture) {
      const png = this.#pictures?.png[picture[1] as keyof Pictures["png"]];
      if (!png) return text(404, "No picture yet");
      return new Response(png.slice(), {
        headers: { "content-type": "image/png", "cache-control": "no-store" },
      });
    }
    if (route === "POST /stop") return this.#stop(request);
    return text(404, "Not found");
  }

  #events(): Response {
    let controller: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#clients.add(c);
        c.enqueue(encoder.encode(
          `event: ${this.#done ? "done" : "iteration"}\ndata: ${JSON.stringify(this.#state())}\n\n`,
        ));
      },
      cancel: () => {
        this.#clients.delete(controller);
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-store" },
    });
  }

  #stop(request: Request): Response {
    // A page of another origin must not stop the run (cross-site request forgery).
    const origin = request.headers.get("origin");
    const host = request.headers.get("host");
    if (origin !== null && origin !== `http://${host}`) return text(403, "Forbidden: origin");
    if (this.#status === "running") {
      this.#status = "stopping";
      this.options.log(
        "Stop requested from the live view: finishing this iteration and " +
          "writing a checkpoint",
      );
      this.#send("iteration", this.#state());
      this.options.onStop();
    }
    return text(202, "Stopping");
  }

  #authorized(request: Request, url: URL): boolean {
    const expected = this.options.token;
    if (expected === null) return true;
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    const given = url.searchParams.get("token") ?? bearer ?? "";
    return sameText(given, expected);
  }

  /**
   * Without a token the view trusts loopback alone, so a page must name a loopback host: a
   * web page elsewhere cannot then reach it by pointing its own host name at 127.0.0.1.
   */
  #hostAllowed(request: Request): boolean {
    if (this.options.token !== null) return true;
    const host = request.headers.get("host") ?? "";
    const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.split(":")[0];
    return isLoopback(name);
  }
}

function text(status: number, body: string): Response {
  return new Response(`${body}\n`, { status, headers: { "content-type": "text/plain" } });
}

/** Compares two strings in time independent of where they differ. */
function sameText(a: string, b: string): boolean {
  const x = encoder.encode(a), y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
