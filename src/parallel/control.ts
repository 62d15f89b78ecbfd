/**
 * The main thread's end of the control channel, and the bookkeeping that keeps each worker's
 * events in order across the channel and its port, and notices messages the channel dropped.
 *
 * Deno's BroadcastChannel keeps the last 256 messages of the whole process for each receiver:
 * one that falls further behind loses the oldest silently. Every message is therefore numbered
 * per sender, and a gap, or a message that never comes, fails the run instead of hanging it.
 */
import { BroadcastChannel as NodeBroadcastChannel } from "node:worker_threads";
import { type ChannelMessage, CONTROL_CHANNEL } from "./context.ts";

type Listener = (message: ChannelMessage) => void;

const listeners = new Map<string, Listener>();
let channel: NodeBroadcastChannel | null = null;

/**
 * The one channel of this process, never closed: in Deno 2.9.6 a channel opened after another
 * of the same isolate was closed fails on `postMessage`. Node's flavour of the same object can
 * be unref'd, so that it keeps the process alive only while a pool runs.
 */
function shared(): NodeBroadcastChannel {
  if (channel) return channel;
  channel = new NodeBroadcastChannel(CONTROL_CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const message = (event as MessageEvent<ChannelMessage>).data;
    listeners.get(message.pool)?.(message);
  };
  return channel;
}

/** Hands pool `pool`'s channel messages to `listener` until the returned function is called. */
export function listen(pool: string, listener: Listener): () => void {
  const bc = shared();
  listeners.set(pool, listener);
  if (listeners.size === 1) bc.ref();
  return () => {
    listeners.delete(pool);
    if (listeners.size === 0) bc.unref();
  };
}

/** Puts `message` on the control channel, for every worker of every pool. */
export function broadcast(message: ChannelMessage): void {
  shared().postMessage(message);
}

/**
 * One worker's events, delivered in the order the worker sent them. The worker numbers every
 * event (`order`) across both of its streams, the channel and its port, which have no common
 * order on arrival: an event waits until every event numbered before it was delivered.
 * Channel messages also carry their own count (`seq`), so that one the channel dropped is
 * noticed at once rather than waited for.
 */
export class Inbox {
  #next = 0;
  #channel = 0;
  #arrived = 0;
  readonly #held = new Map<number, () => void>();

  /** How many of this worker's channel messages arrived. */
  get received(): number {
    return this.#channel;
  }

  /** How many of this worker's events arrived, on either stream. */
  get arrived(): number {
    return this.#arrived;
  }

  /** Whether an event that arrived waits for an earlier one. */
  get waiting(): boolean {
    return this.#held.size > 0;
  }

  /** Takes channel message `seq`, the worker's event `order`; false when earlier ones were lost. */
  fromChannel(seq: number, order: number, deliver: () => void): boolean {
    if (seq !== this.#channel) return false;
    this.#channel++;
    this.#take(order, deliver);
    return true;
  }

  /** Takes the worker's event `order`, which came on its port. */
  fromPort(order: number, deliver: () => void): void {
    this.#take(order, deliver);
  }

  #take(order: number, deliver: () => void): void {
    this.#arrived++;
    this.#held.set(order, deliver);
    for (let next = this.#held.get(this.#next); next; next = this.#held.get(this.#next)) {
      this.#held.delete(this.#next++);
      next();
    }
  }
}

const LATE_TICKS = 20;
const LATE_MS = 5_000;

/**
 * Decides when an expected message is lost rather than late: still missing after many turns of
 * a running event loop and several seconds (a loop blocked meanwhile counts as one turn, so a
 * busy thread is not mistaken for a lossy channel).
 */
export class Overdue {
  #mark = -1;
  #ticks = 0;
  #since = 0;

  /** Called on each tick; `arrived` grows with every message that arrives. */
  lost(missing: boolean, arrived: number, now: number): boolean {
    if (!missing || arrived !== this.#mark) {
      this.#mark = arrived;
      this.#ticks = 0;
      this.#since = now;
      return false;
    }
    this.#ticks++;
    return this.#ticks >= LATE_TICKS && now - this.#since >= LATE_MS;
  }
}
