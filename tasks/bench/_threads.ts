/**
 * Where a process's threads spend an interval, from Linux's scheduler statistics
 * (`/proc/self/task/<tid>/schedstat`: nanoseconds on a core, and waiting in the run queue for
 * one). A thread that neither ran nor waited to run had nothing to do: for the busiest thread of
 * a software device (llvmpipe's compute thread), that is time the device sat idle, whatever the
 * machine's other load (which shows as run-queue waits instead).
 */

/** Per thread id: milliseconds on a core and waiting for one, since the thread started. */
export type ThreadTimes = Map<string, { run: number; queued: number; name: string }>;

/** Thread names by id (`comm`), read once per thread. */
const names = new Map<string, string>();

/** Every thread of this process, now. */
export function threadTimes(): ThreadTimes {
  const times: ThreadTimes = new Map();
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    try {
      const line = Deno.readTextFileSync(`/proc/self/task/${entry.name}/schedstat`);
      const [run, queued] = line.split(" ").map(Number);
      let name = names.get(entry.name);
      if (name === undefined) {
        name = Deno.readTextFileSync(`/proc/self/task/${entry.name}/comm`).trim();
        names.set(entry.name, name);
      }
      times.set(entry.name, { run: run / 1e6, queued: queued / 1e6, name });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return times;
}

/** What the threads did over an interval of `wallMs` between two {@link threadTimes}. */
export interface ThreadInterval {
  /** CPU time of all threads over the wall time: the cores the process kept busy. */
  cores: number;
  /** Run-queue waits of all threads over the wall time: the cores it wanted and did not get. */
  queuedCores: number;
  /** Wall time in which the busiest thread neither ran nor waited to run (ms). */
  busiestIdleMs: number;
  /**
   * CPU ms of all threads, of the busiest (a software device's compute thread) and of the main
   * thread (JavaScript), the last two apart unless the main thread is the busiest.
   */
  cpuMs: number;
  busiestCpuMs: number;
  mainCpuMs: number;
  /** Wall time in which the busiest thread waited for a core (ms). */
  busiestQueuedMs: number;
  /** CPU ms per thread name (threads of one name summed), the busiest thread as `device`. */
  byName: Record<string, number>;
}

export function threadInterval(
  before: ThreadTimes,
  after: ThreadTimes,
  wallMs: number,
): ThreadInterval {
  let run = 0, queued = 0, main = 0, busiest = { run: 0, queued: 0, name: "" };
  const byName: Record<string, number> = {};
  for (const [id, now] of after) {
    const then = before.get(id) ?? { run: 0, queued: 0 };
    const d = { run: now.run - then.run, queued: now.queued - then.queued, name: now.name };
    run += d.run;
    queued += d.queued;
    if (id === String(Deno.pid)) main = d.run;
    if (d.run > busiest.run) busiest = d;
    const name = id === String(Deno.pid) ? "main" : d.name;
    byName[name] = (byName[name] ?? 0) + d.run;
  }
  if (busiest.name && busiest.run !== main) {
    byName[busiest.name] -= busiest.run;
    byName.device = busiest.run;
  }
  return {
    cores: run / wallMs,
    queuedCores: queued / wallMs,
    busiestIdleMs: Math.max(0, wallMs - busiest.run - busiest.queued),
    cpuMs: run,
    busiestCpuMs: busiest.run,
    mainCpuMs: main,
    busiestQueuedMs: busiest.queued,
    byName,
  };
}
