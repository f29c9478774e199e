// CPU time of each thread of this process, from /proc/self/task (Linux; empty elsewhere). The
// worker-thread runtime's cost is shared between the job's own threads and V8's background
// threads (garbage collection helpers, the optimizing compiler), which a one-thread run gets
// on an idle core for free; the parallelism benchmark reports the two apart.
// May import only node built-ins.
import { readdirSync, readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/** ms of user + system CPU per thread id, read now. */
export function threadCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) in parentheses; utime and stime are the 14th and 15th.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // In clock ticks of USER_HZ, 100 on Linux.
      out.set(Number(t), (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

export interface ThreadCpu {
  /** This process's main thread. */
  readonly mainMs: number;
  /** Threads that already ran when sampling began, other than the main one: V8's and Node's helpers. */
  readonly backgroundMs: number;
  /** Threads started after sampling began (worker threads, and their module loader threads). */
  readonly startedMs: number;
}

/** Samples every thread's CPU until stop(); threads that end in between keep their last reading. */
export function sampleThreadCpu(intervalMs = 20): { stop(): ThreadCpu } {
  if (threadId !== 0) throw new Error('sampleThreadCpu runs on the main thread');
  const before = threadCpuMs();
  const last = new Map<number, number>();
  const read = (): void => {
    for (const [t, ms] of threadCpuMs()) last.set(t, ms);
  };
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      let mainMs = 0;
      let backgroundMs = 0;
      let startedMs = 0;
      for (const [t, ms] of last) {
        const at = before.get(t);
        if (t === process.pid) mainMs = ms - (at ?? 0);
        else if (at !== undefined) backgroundMs += ms - at;
        else startedMs += ms;
      }
      return { mainMs, backgroundMs, startedMs };
    },
  };
}
