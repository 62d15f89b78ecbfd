/**
 * Tiles served on the main thread, without a Worker: the one-tile, one-worker case of the engine
 * over the `local` transport, or the tiles of one MPI rank running one worker over the `mpi`
 * transport. It takes commands and delivers events as a pool does, so the session drives it the
 * same way.
 */
import type { FrameSource } from "../data/mod.ts";
import type { Collectives } from "../distributed/collectives.ts";
import type { ProgressEvent } from "../parallel/mod.ts";
import type { TiledCommand, TiledPayload } from "./payload.ts";
import { serveTiles } from "./worker_job.ts";

export class InProcessTiles {
  readonly #commands: TiledCommand[] = [];
  readonly #waiting: Array<(command: TiledCommand) => void> = [];

  /**
   * `frames`: the data set's own frames (the caller closes them); `collectives`: the transport,
   * whose tiles are served.
   */
  constructor(
    readonly payload: TiledPayload,
    readonly frames: FrameSource,
    readonly onEvent: (event: ProgressEvent) => void,
    readonly collectives: Collectives,
  ) {}

  /** Serves the tile until the "finish" command. */
  run(): Promise<void> {
    const deliver = (event: Record<string, unknown>) => this.onEvent({ ...event, rank: 0 });
    const host = {
      rank: 0,
      payload: this.payload,
      progress: deliver,
      report: deliver,
      nextCommand: (): Promise<unknown> => {
        const next = this.#commands.shift();
        return next ? Promise.resolve(next) : new Promise((resolve) => this.#waiting.push(resolve));
      },
    };
    return serveTiles(host, this.collectives, this.frames);
  }

  command(command: TiledCommand): void {
    const waiting = this.#waiting.shift();
    if (waiting) waiting(command);
    else this.#commands.push(command);
  }
}
