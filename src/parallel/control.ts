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
 * One worker's events, delivered in the order the worker sent them: a port message waits for
 * the channel messages the worker had sent before it.
 */
export class Inbox {
  #received = 0;
  readonly #held: Array<{ after: number; deliver: () => void }> = [];

  /** How many of this worker's channel messages arrived. */
  get received(): number {
    return this.#received;
  }

  /** Whether a port message waits for channel messages. */
  get waiting(): boolean {
    return this.#held.length > 0;
  }

  /** Delivers channel message `seq`; false when earlier ones were lost. */
  fromChannel(seq: number, deliver: () => void): boolean {
    if (seq !== this.#received) return false;
    this.#received++;
    deliver();
    while (this.#held.length > 0 && this.#held[0].after <= this.#received) {
      this.#held.shift()!.deliver();
    }
    return true;
  }

  /** Delivers a port message sent after `after` channel messages, now or once they arrived. */
  fromPort(after: number, deliver: () => void): void {
    if (this.#held.length === 0 && after <= this.#received) deliver();
    else this.#held.push({ after, deliver });
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
