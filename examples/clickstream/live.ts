// Paces the generator to the wall clock: event time is real time, and clicks are released
// when their (simulated) arrival time comes, at about `rate` clicks per second. The sink is a
// callback, so the same pacing feeds the embedded log (the demo) or a Kafka client (produce.ts).
// May import ./generator.ts only.
import { ClickstreamGenerator, type ClickEvent } from './generator.js';

/** Clicks per session on average for the generator's default funnel (measured over an hour of traffic). */
export const MEAN_CLICKS_PER_SESSION = 3.14;

export interface LiveClicksOptions {
  readonly rate: number;
  readonly seed?: number;
  /** Event time runs this many times faster than the wall clock (default 1). */
  readonly speedup?: number;
  readonly tickMs?: number;
  readonly now?: () => number;
  /** Receives each tick's clicks; the next tick waits for it. */
  readonly send: (clicks: ClickEvent[]) => Promise<void> | void;
  readonly onError?: (err: unknown) => void;
}

export interface LiveClicks {
  readonly sent: () => number;
  stop(): Promise<void>;
}

export function startLiveClicks(o: LiveClicksOptions): LiveClicks {
  const now = o.now ?? Date.now;
  const speedup = o.speedup ?? 1;
  const wall0 = now();
  const gen = new ClickstreamGenerator({
    seed: o.seed ?? wall0 % 2 ** 31,
    startTime: wall0,
    sessionsPerMinute: (Math.max(0.1, o.rate) * 60) / MEAN_CLICKS_PER_SESSION / speedup,
  });
  let sent = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    const simNow = wall0 + (now() - wall0) * speedup;
    const batch = gen.takeUntil(simNow);
    if (batch.length > 0) {
      await o.send(batch);
      sent += batch.length;
    }
  };
  const loop = (): void => {
    if (stopped) return;
    running = tick()
      .catch((err: unknown) => o.onError?.(err))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, o.tickMs ?? 100);
      });
  };
  loop();
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
