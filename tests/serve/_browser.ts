/**
 * What the live view's browser tests share: a free loopback port, deadlines, a child's output
 * read as it comes, Debian's headless Chromium through puppeteer-core, and a run of
 * `deno task reconstruct --serve` waited on until its page listens.
 */
import puppeteer, { type Browser } from "puppeteer-core";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CHROMIUM = "/usr/bin/chromium";
/** Long enough for a run that starts cold on a busy two-core machine. */
export const STARTUP_MS = 120_000;

/** A loopback port nothing listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Resolves with `promise` or rejects naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's stderr, read as it comes, so a test can wait for a line. */
export function collect(stream: ReadableStream<Uint8Array>) {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  return { text: () => text, done };
}

export async function launchChromium(profile: string): Promise<Browser> {
  return await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: false,
    userDataDir: profile,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
    timeout: 60_000,
  });
}

/** A run of `deno task reconstruct` with its output read as it comes. */
export interface ServedRun {
  process: Deno.ChildProcess;
  stderr: ReturnType<typeof collect>;
  stdout: ReturnType<typeof collect>;
  /** The exit status, once the run ends. */
  status: Promise<Deno.CommandStatus>;
  exited(): boolean;
}

/**
 * Starts `deno task reconstruct ARGS --serve PORT` from the project and waits until the run says
 * where its live view listens.
 *
 * @throws when the run ends first, or after {@link STARTUP_MS}.
 */
export async function startServedRun(args: string[], port: number): Promise<ServedRun> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["task", "reconstruct", ...args, "--serve", `${port}`],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = collect(process.stderr);
  const stdout = collect(process.stdout);
  let exited = false;
  const status = process.status.then((s) => {
    exited = true;
    return s;
  });
  const run = { process, stderr, stdout, status, exited: () => exited };
  try {
    await within(
      STARTUP_MS,
      "the live view's address in the log",
      (async () => {
        while (!stderr.text().includes(`Live view on http://127.0.0.1:${port}/`)) {
          if (exited) throw new Error(`The run ended first:\n${stderr.text()}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })(),
    );
  } catch (error) {
    await endRun(run);
    throw error;
  }
  return run;
}

/** Ends a run still going (SIGTERM) and waits for it and its output. */
export async function endRun(run: ServedRun): Promise<void> {
  if (!run.exited()) run.process.kill("SIGTERM");
  await run.status;
  await Promise.allSettled([run.stderr.done, run.stdout.done]);
}
