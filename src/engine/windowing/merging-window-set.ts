// Book-keeping for merging windows (sessions), as Flink does it: each live window of a key
// maps to a "state window", the namespace its contents are actually stored under. When windows
// merge, the merge result takes over the state window of one of the merged windows and the
// state of the others is folded into it, so a merge moves no more state than it must and the
// state namespace of a growing session stays stable.
// Imports window.ts and window-assigner.ts only; the window operator persists `snapshot()`.
import { SluiceError } from '../../errors.js';
import type { Window } from './window.js';
import type { MergingWindowAssigner } from './window-assigner.js';

/** Told about each merge: the result window, the windows it replaces, where state goes and comes from. */
export type MergeFunction<W> = (
  mergeResult: W,
  mergedWindows: readonly W[],
  stateWindowResult: W,
  mergedStateWindows: readonly W[],
) => void;

/** A plain form for checkpoints: pairs of [window id, state window id]. */
export type MergingWindowSetSnapshot = Array<[string, string]>;

export class MergingWindowSet<W extends Window> {
  private readonly mapping = new Map<string, { window: W; stateWindow: W }>();
  /** Set on any change since the owner last persisted this set (the owner clears it). */
  changed = false;
  /** The snapshot this set was built from or last saved as (bookkeeping for the owner). */
  loadedFrom: MergingWindowSetSnapshot | undefined;

  constructor(
    private readonly assigner: MergingWindowAssigner<unknown, W>,
    snapshot?: MergingWindowSetSnapshot,
  ) {
    if (snapshot !== undefined) {
      for (const [w, s] of snapshot) {
        this.mapping.set(w, { window: assigner.windowFromId(w), stateWindow: assigner.windowFromId(s) });
      }
    }
  }

  get size(): number {
    return this.mapping.size;
  }

  windows(): W[] {
    return [...this.mapping.values()].map((e) => e.window);
  }

  /** The namespace holding `window`'s contents, or undefined if the window is not live. */
  getStateWindow(window: W): W | undefined {
    return this.mapping.get(window.id)?.stateWindow;
  }

  /** Forgets a window once it is purged for good. */
  retireWindow(window: W): void {
    this.changed = true;
    if (!this.mapping.delete(window.id)) {
      throw new SluiceError('INTERNAL', `window ${window.id} is not in the merging window set`);
    }
  }

  snapshot(): MergingWindowSetSnapshot {
    const out: MergingWindowSetSnapshot = [];
    for (const [id, e] of this.mapping) out.push([id, e.stateWindow.id]);
    return out;
  }

  /**
   * Adds `newWindow`, merging it with the live windows it touches. Returns the window the new
   * element belongs to now (the merge result, or `newWindow` itself). `merge` is called for
   * every merge so the caller can move state, timers and trigger state.
   */
  addWindow(newWindow: W, merge: MergeFunction<W>): W {
    // Already live and nothing else to merge with it: the common case of an element landing in
    // a session that does not grow (the new window equals a live one).
    const same = this.mapping.get(newWindow.id);
    if (same !== undefined && this.mapping.size === 1) return same.window;
    this.changed = true;
    const all = this.windows();
    all.push(newWindow);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    let anyMerge = false;

    this.assigner.mergeWindows(all, (toBeMerged, mergeResult) => {
      anyMerge = true;
      // Remove one occurrence only: the new window may equal a live one (same session start).
      const mergedWindows = [...toBeMerged];
      const at = mergedWindows.findIndex((w) => w.id === newWindow.id);
      if (at >= 0) {
        mergedWindows.splice(at, 1);
        mergedNewWindow = true;
        resultWindow = mergeResult;
      }
      const first = mergedWindows[0];
      // A merge group always holds at least one live window besides the new one.
      const target = first === undefined ? undefined : this.mapping.get(first.id)?.stateWindow;
      if (first === undefined || target === undefined) {
        throw new SluiceError('INTERNAL', `merge of ${mergeResult.id} has no existing state window`);
      }
      const mergedStateWindows: W[] = [];
      for (const w of mergedWindows) {
        const e = this.mapping.get(w.id);
        if (e !== undefined) {
          this.mapping.delete(w.id);
          if (e.stateWindow.id !== target.id) mergedStateWindows.push(e.stateWindow);
        }
      }
      this.mapping.set(mergeResult.id, { window: mergeResult, stateWindow: target });
      // Absorbing the new window into an existing one that does not grow is no merge at all.
      const unchanged = mergedWindows.length === 1 && first.id === mergeResult.id;
      if (!unchanged) merge(mergeResult, mergedWindows, target, mergedStateWindows);
    });

    if (!anyMerge || (resultWindow.id === newWindow.id && !mergedNewWindow)) {
      this.mapping.set(newWindow.id, { window: newWindow, stateWindow: newWindow });
    }
    return resultWindow;
  }
}
