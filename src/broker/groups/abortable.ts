// Long waits in handlers (JoinGroup, SyncGroup) end when the request's AbortSignal fires
// (connection closed, broker stopping). The coordinator's own timers still settle the
// underlying wait; this only stops the handler from holding on to it.
// Imports nothing.

export function untilAborted<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => T): Promise<T> {
  if (signal.aborted) return Promise.resolve(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => resolve(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
