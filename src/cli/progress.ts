/**
 * Progress of a reconstruction: a bar redrawn in place on a terminal, plain log lines otherwise
 * (logs, CI, pipes), nothing with `--quiet`.
 */
import type { IterationInfo } from "../engine/reconstruct.ts";

/** Where progress goes. */
export interface ProgressSink {
  write(text: string): void;
  /** True for a terminal: the bar is redrawn in place. */
  terminal: boolean;
  /** Terminal width in columns. */
  columns: number;
}

/** Prints iteration events as a bar or as log lines. */
export class Progress {
  #recent: number[] = [];
  #drawn = false;

  constructor(private readonly sink: ProgressSink | null) {}

  /** A progress printer on stderr (stdout stays clean for `--json` and pipes). */
  static stderr(quiet: boolean): Progress {
    if (quiet) return new Progress(null);
    const encoder = new TextEncoder();
    const terminal = Deno.stderr.isTerminal();
    let columns = 80;
    if (terminal) {
      try {
        columns = Deno.consoleSize().columns;
      } catch {
        // Not every terminal reports its size; 80 columns is the safe assumption.
      }
    }
    return new Progress({
      write: (text) => Deno.stderr.writeSync(encoder.encode(text)),
      terminal,
      columns,
    });
  }

  /** A line of text (kept above the bar on a terminal). */
  log(line: string): void {
    if (!this.sink) return;
    this.#clear();
    this.sink.write(`${line}\n`);
  }

  /** Reports one finished iteration. */
  iteration(event: Omit<IterationInfo, "snapshot" | "tiles">): void {
    if (!this.sink) return;
    this.#recent.push(event.seconds);
    if (this.#recent.length > 10) this.#recent.shift();
    const perIteration = this.#recent.reduce((a, b) => a + b, 0) / this.#recent.length;
    const left = perIteration * (event.total - event.iteration - 1);
    const done = event.iteration + 1;
    const r = Number.isFinite(event.rFactor) ? `  R ${event.rFactor.toFixed(4)}` : "";
    const stats = `${done}/${event.total}  cost ${event.cost.toExponential(4)}${r}  ` +
      `${perIteration.toFixed(2)} s/it  ${formatSeconds(left)} left  ` +
      `workers ${event.busy}/${event.workers}`;
    if (!this.sink.terminal) {
      this.sink.write(`iteration ${stats}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, this.sink.columns - stats.length - 4));
    const filled = Math.round((width * done) / Math.max(1, event.total));
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    this.sink.write(`\r\x1b[2K${bar} ${stats}`);
    this.#drawn = true;
  }

  /** Ends the bar's line. */
  finish(): void {
    this.#clear();
  }

  #clear(): void {
    if (this.sink?.terminal && this.#drawn) this.sink.write("\r\x1b[2K");
    this.#drawn = false;
  }
}

/** `75 s`, `3 min 12 s`, `1 h 04 min`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
