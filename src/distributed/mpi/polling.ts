/**
 * How a rank waits on MPI: it polls (`MPI_Test`, `MPI_Iprobe`) between turns of Deno's event
 * loop, so that its other calls (strip messages, the device's read-backs) go on meanwhile.
 *
 * @module
 */
import { nextTurn } from "../../gpu/mod.ts";

/** Longest pause between two polls of a pending request, in ms. */
export const POLL_MS = 2;

/**
 * How long a wait polls on every turn of the event loop before it starts to sleep between polls,
 * in ms. A timer of Deno's fires 1 to 4 ms late (timers nested in timers are clamped to 4 ms), and
 * an all-reduce of a few scalars between two ranks needs several polls on each: polled by timers
 * it took about 4.5 ms of a `gd` iteration's idle device, three times per iteration; a turn of
 * the loop takes about 0.1 ms. The turns take a core for at most this long per wait: llvmpipe
 * computes beside the JS thread once work is submitted, but the all-reduce's waits find the
 * device idle (strips are awaited otherwise: {@link STRIP_SPIN_MS}).
 */
export const SPIN_MS = 5;

/**
 * {@link SPIN_MS} of a wait for a neighbour's strips: none. A tile's strips are awaited while its
 * device computes the batches that reach no neighbour (DESIGN section 3; about 80 ms of a `gd`
 * iteration at frame 64 and 400 positions a tile), which need them only at their end, so a
 * strip found a few ms late costs nothing; but every turn of a spin takes a core's time from the
 * devices when ranks are as many as cores (`bench scaling --ranks 2`, three runs each way in
 * turn at load 11: the two ranks' JavaScript threads ran 29.6 ms per iteration without it, 35.0
 * with it). Where a tile has no such batches, its strips come up to a sleep late.
 */
export const STRIP_SPIN_MS = 0;

/**
 * The pauses of one wait, one call per poll that found nothing: the next turn of the event loop
 * for the first `spinMs` (default {@link SPIN_MS}), then sleeps growing by 0.5 ms up to
 * {@link POLL_MS}.
 *
 * @example
 * ```ts
 * const pause = pauses();
 * let polls = 0;
 * while (++polls < 3) await pause();
 * ```
 */
export function pauses(spinMs = SPIN_MS): () => Promise<void> {
  const start = performance.now();
  let wait = 0;
  return () => {
    if (performance.now() - start < spinMs) return nextTurn();
    wait = Math.min(POLL_MS, wait + 0.5);
    return new Promise((resolve) => setTimeout(resolve, wait));
  };
}
