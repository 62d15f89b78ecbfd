import type { StripExchange, StripMode } from "../distributed/collectives.ts";
import type { Overlap, Rect, Tiling } from "../tiling/mod.ts";
import type { Fabric } from "./fabric.ts";
import { profile } from "./profile.ts";
import { type GradientStore, stripLength } from "./strips.ts";

/** How overlap gradients travel: before each update (`sync`) or in the background (`async`). */
export type ExchangeMode = StripMode;

/** Options of {@link HaloExchange}. */
export interface HaloExchangeOptions {
  fabric: Fabric;
  tiling: Tiling;
  /** Complex planes per pixel (object slices). */
  planes: number;
  mode: ExchangeMode;
  /**
   * Index of this exchange's first mailbox: several exchanges (the gradient's, a
   * preconditioner's) share a fabric, each with its own mailboxes (default 0).
   */
  mailboxBase?: number;
  /**
   * The overlaps this exchange carries (default all): under MPI with several workers per rank,
   * those between tiles of the same rank (the others travel as MPI messages).
   */
  carries?: (overlap: Overlap) => boolean;
}

/** What a tile received over its incoming overlaps in one round (null: nothing yet). */
export type Received = Array<{ from: number; rect: Rect; strip: Float32Array | null }>;

/**
 * Mailbox lengths (float32) for a tiling, one per directed overlap in the tiling's order, for
 * each of `streams` exchanges sharing the fabric.
 */
export function mailboxLengths(tiling: Tiling, planes: number, streams = 1): number[] {
  const one = tiling.overlaps.map((o) => stripLength(o.rect, planes));
  return Array.from({ length: streams }, () => one).flat();
}

interface Link extends Overlap {
  /** Index of the overlap, hence of its mailbox. */
  k: number;
}

/**
 * Neighbour exchange of overlap gradients for the tiles of one worker. Each call to
 * {@link post} for a tile sends the parts of its gradient that neighbours hold too; each call to
 * {@link collect} adds what the neighbours sent into the tile's gradient. Every pixel is summed in
 * ascending tile order, so all copies of an overlap pixel hold bitwise the same value.
 *
 * - `sync`: {@link collect} waits for every neighbour's post of the same round: each pixel ends
 *   with the sum over all positions touching it, the untiled gradient.
 * - `async` (halo gradient exchange): per outgoing overlap an accumulated-gradient buffer
 *   collects what could not be sent yet; the shared mailbox is the send buffer, a copy taken on
 *   arrival the receive buffer. Posting never waits for a mailbox to be read: a full one sends
 *   at the next round, the two rounds summed. Collecting round n takes whatever has arrived and
 *   waits only for what a neighbour sent up to round n - 1, so every contribution is applied
 *   exactly once, at most one round late, never early: a tile posts round n only after each
 *   neighbour has collected round n - 1. (A full mailbox at round n was sent after its reader's
 *   collect of round n - 1, which the reader's round n empties, so the accumulated buffer is
 *   sent at round n + 1 and never holds more than one round.)
 */
export class HaloExchange implements StripExchange {
  readonly #fabric: Fabric;
  readonly #tiling: Tiling;
  readonly #planes: number;
  readonly #mode: ExchangeMode;
  readonly #out = new Map<number, Link[]>();
  readonly #in = new Map<number, Link[]>();
  readonly #rounds = new Map<number, number>();
  /** The tile's own values over each incoming rectangle, kept from {@link post}. */
  readonly #own = new Map<number, Map<number, Float32Array>>();
  readonly #accumulated = new Map<number, Float32Array>();

  constructor(options: HaloExchangeOptions) {
    this.#fabric = options.fabric;
    this.#tiling = options.tiling;
    this.#planes = options.planes;
    this.#mode = options.mode;
    const base = options.mailboxBase ?? 0;
    const carries = options.carries ?? (() => true);
    options.tiling.overlaps.forEach((o, index) => {
      if (!carries(o)) return;
      const link = { ...o, k: base + index };
      this.#out.set(o.from, [...(this.#out.get(o.from) ?? []), link]);
      this.#in.set(o.to, [...(this.#in.get(o.to) ?? []), link]);
    });
  }

  /** Tiles sharing pixels with `tile`, ascending. */
  neighbours(tile: number): number[] {
    return (this.#out.get(tile) ?? []).map((l) => l.to);
  }

  /** Sends `tile`'s overlap gradients (from `store`) to its neighbours: one round. */
  async post(tile: number, store: GradientStore): Promise<void> {
    const round = (this.#rounds.get(tile) ?? 0) + 1;
    this.#rounds.set(tile, round);
    const fabric = this.#fabric;
    if (this.#mode === "async") {
      for (const n of this.neighbours(tile)) {
        const word = fabric.progressWord(n);
        profile.timeSync(
          "mailbox wait",
          () => fabric.waitFor(word, () => fabric.load(word) >= round - 1),
        );
      }
    }
    const own = new Map<number, Float32Array>();
    const links = this.#out.get(tile) ?? [];
    const strips = await store.readMany(tile, links.map((l) => l.rect));
    for (const [i, link] of links.entries()) {
      const strip = strips[i];
      own.set(link.to, strip);
      const box = fabric.mailbox(link.k);
      const free = () => fabric.load(box.word + 1) === fabric.load(box.word);
      if (this.#mode === "sync") {
        profile.timeSync("mailbox wait", () => fabric.waitFor(box.word + 1, free));
        box.data.set(strip);
        fabric.store(box.word, round);
        continue;
      }
      let pending = this.#accumulated.get(link.k);
      if (pending) addInto(pending, strip);
      else pending = strip.slice();
      if (free()) {
        box.data.set(pending);
        fabric.store(box.word, round);
        this.#accumulated.delete(link.k);
      } else {
        this.#accumulated.set(link.k, pending);
      }
    }
    this.#own.set(tile, own);
  }

  /**
   * Adds the neighbours' overlap gradients into `tile`'s gradient in `store`, summing each pixel
   * in ascending tile order. Call after {@link post} of the same round.
   */
  async collect(tile: number, store: GradientStore): Promise<void> {
    const received = this.receive(tile);
    if (received.length === 0) return;
    const own = this.#own.get(tile)!;
    const sums = profile.timeSync(
      "exchange host",
      () => orderedSums({ tile, planes: this.#planes, received, own: (from) => own.get(from)! }),
    );
    for (const { rect, strip } of sums) await store.write(tile, rect, strip);
  }

  /** `tile`'s own values over the overlap it shares with `from`, as posted this round. */
  own(tile: number, from: number): Float32Array | undefined {
    return this.#own.get(tile)?.get(from);
  }

  /**
   * The strips due to `tile` this round (see {@link collect}, which adds them), without adding
   * them. Call after {@link post} of the same round.
   */
  receive(tile: number): Received {
    const round = this.#rounds.get(tile) ?? 0;
    if (!this.#own.has(tile)) throw new Error(`Cannot collect tile ${tile} before posting it`);
    const fabric = this.#fabric;
    const received: Received = [];
    // sync: this round's post; async: everything sent up to the round before.
    const due = this.#mode === "sync" ? round : round - 1;
    for (const link of this.#in.get(tile) ?? []) {
      const box = fabric.mailbox(link.k);
      const length = stripLength(link.rect, this.#planes);
      const fresh = () => fabric.load(box.word) > fabric.load(box.word + 1);
      let strip: Float32Array | null = null;
      for (;;) {
        if (fresh()) {
          const posted = fabric.load(box.word);
          const values = box.data.subarray(0, length);
          if (strip) addInto(strip, values);
          else strip = values.slice();
          fabric.store(box.word + 1, posted);
        }
        if (fabric.load(box.word + 1) >= due) break;
        profile.timeSync("mailbox wait", () => fabric.waitFor(box.word, fresh));
      }
      received.push({ from: link.from, rect: link.rect, strip });
    }
    if (this.#mode === "async") fabric.store(fabric.progressWord(tile), round);
    return received;
  }

  /** One full round for all `tiles` of this worker: post each, then collect each. */
  async exchange(tiles: number[], store: GradientStore): Promise<void> {
    for (const t of tiles) await this.post(t, store);
    for (const t of tiles) await this.collect(t, store);
  }

  /** The tiling this exchange follows. */
  get tiling(): Tiling {
    return this.#tiling;
  }
}

function addInto(into: Float32Array, values: Float32Array): void {
  for (let i = 0; i < into.length; i++) into[i] += values[i];
}

/** Calls `visit(boxIndex, stripIndex)` for each float of `rect` inside `box` (both packed). */
function eachFloat(
  box: Rect,
  rect: Rect,
  planes: number,
  visit: (boxIndex: number, stripIndex: number) => void,
): void {
  let s = 0;
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < rect.height; y++) {
      const at = 2 * ((p * box.height + rect.y0 - box.y0 + y) * box.width + rect.x0 - box.x0);
      for (let i = 0; i < 2 * rect.width; i++) visit(at + i, s++);
    }
  }
}

/**
 * Over the bounding box of the received rectangles, sums own and received values per pixel in
 * ascending tile order (rounded to float32 after each addition, as every tile holding the pixel
 * does), and returns the result over each rectangle.
 */
export function orderedSums(options: {
  tile: number;
  planes: number;
  received: Array<{ from: number; rect: Rect; strip: Float32Array | null }>;
  own: (from: number) => Float32Array;
}): Array<{ rect: Rect; strip: Float32Array }> {
  const { tile, planes, received } = options;
  const y0 = Math.min(...received.map((r) => r.rect.y0));
  const x0 = Math.min(...received.map((r) => r.rect.x0));
  const y1 = Math.max(...received.map((r) => r.rect.y0 + r.rect.height));
  const x1 = Math.max(...received.map((r) => r.rect.x0 + r.rect.width));
  const box = { y0, x0, height: y1 - y0, width: x1 - x0 };
  const size = planes * box.height * box.width * 2;
  // The tile's own values over the union of the rectangles, each float once.
  const mine = new Float32Array(size);
  const held = new Uint8Array(size);
  for (const r of received) {
    const strip = options.own(r.from);
    eachFloat(box, r.rect, planes, (b, s) => {
      mine[b] = strip[s];
      held[b] = 1;
    });
  }
  const sum = new Float32Array(size);
  const addOwn = () => {
    for (let i = 0; i < size; i++) if (held[i]) sum[i] += mine[i];
  };
  let ownAdded = false;
  for (const r of [...received].sort((a, b) => a.from - b.from)) {
    if (!ownAdded && r.from > tile) {
      addOwn();
      ownAdded = true;
    }
    const strip = r.strip;
    if (strip) eachFloat(box, r.rect, planes, (b, s) => sum[b] += strip[s]);
  }
  if (!ownAdded) addOwn();
  return received.map(({ rect }) => {
    const strip = new Float32Array(stripLength(rect, planes));
    eachFloat(box, rect, planes, (b, s) => strip[s] = sum[b]);
    return { rect, strip };
  });
}
