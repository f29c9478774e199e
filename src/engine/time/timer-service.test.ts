import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerServiceImpl, type TimerEntry } from './timer-service.js';
import { keyGroupFor } from '../state/key-group.js';

/** `onEvent` runs inside each event-time firing, after it is recorded (the current key is the timer's). */
function service(fired: [string, number, unknown][], onEvent?: (svc: TimerServiceImpl<string | null>, time: number) => void) {
  let key: unknown = undefined;
  const keys = {
    currentKey: () => key,
    currentKeyGroup: () => keyGroupFor(key, 128),
    setCurrentKey: (k: unknown) => (key = k),
    keyGroupOf: (k: unknown) => keyGroupFor(k, 128),
  };
  const svc: TimerServiceImpl<string | null> = new TimerServiceImpl<string | null>(
    keys,
    {
      onEventTime: (t, k, ns) => {
        fired.push([`e:${String(k)}`, t, ns]);
        onEvent?.(svc, t);
      },
      onProcessingTime: (t, k, ns) => fired.push([`p:${String(k)}`, t, ns]),
    },
    () => 0,
    undefined,
  );
  return { svc, setKey: (k: unknown) => (key = k) };
}

test('timers are deduplicated per (key, namespace, time), fire in time order with their key, and can be deleted', () => {
  const fired: [string, number, unknown][] = [];
  const { svc, setKey } = service(fired);
  setKey('a');
  svc.registerEventTimeTimer(null, 30);
  svc.registerEventTimeTimer(null, 30);
  svc.registerEventTimeTimer('w1', 30);
  svc.registerEventTimeTimer(null, 10);
  setKey('b');
  svc.registerEventTimeTimer(null, 20);
  svc.registerEventTimeTimer(null, 40);
  svc.deleteEventTimeTimer(null, 40);
  svc.registerProcessingTimeTimer(null, 5);
  svc.advanceWatermark(30);
  assert.deepEqual(fired.map(([k, t]) => `${k}@${t}`), ['e:a@10', 'e:b@20', 'e:a@30', 'e:a@30']);
  assert.deepEqual(fired.map((f) => f[2]).slice(2).sort(), [null, 'w1'].sort());
  svc.advanceWatermark(1000);
  assert.equal(fired.length, 4, 'deleted timer does not fire');
  svc.advanceProcessingTime(5);
  assert.deepEqual(fired[4], ['p:b', 5, null]);
});


test('a timer registered at the time of the earliest one, after a watermark short of both, fires with it', () => {
  // The watermark step looks at the earliest timer (a lone timer at 10) and stops; the second
  // timer at 10 then joins it, and both must fire, in registration order.
  const fired: [string, number, unknown][] = [];
  const { svc, setKey } = service(fired);
  setKey('a');
  svc.registerEventTimeTimer(null, 10);
  setKey('b');
  svc.registerEventTimeTimer(null, 20);
  svc.advanceWatermark(5);
  svc.registerEventTimeTimer(null, 10);
  setKey('c');
  svc.registerEventTimeTimer(null, 10);
  svc.advanceWatermark(10);
  assert.deepEqual(fired.map(([k, t]) => `${k}@${t}`), ['e:a@10', 'e:b@10', 'e:c@10']);
  svc.advanceWatermark(20);
  assert.deepEqual(fired.map(([k, t]) => `${k}@${t}`).slice(3), ['e:b@20']);
  assert.equal(svc.timerCount().event, 0);
});
test('property: timers fire exactly once each, in non-decreasing time order, across watermark steps', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 100 })), { maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 10 }),
      (regs, steps) => {
        const fired: [string, number, unknown][] = [];
        const { svc, setKey } = service(fired);
        for (const [k, t] of regs) {
          setKey(k);
          svc.registerEventTimeTimer(null, t);
        }
        let wm = -Infinity;
        for (const s of steps.sort((x, y) => x - y)) {
          wm = s;
          svc.advanceWatermark(s);
        }
        const expected = new Set(regs.filter(([, t]) => t <= wm).map(([k, t]) => `e:${k}@${t}`));
        const got = fired.map(([k, t]) => `${k}@${t}`);
        assert.equal(got.length, expected.size);
        assert.deepEqual(new Set(got), expected);
        for (let i = 1; i < fired.length; i++) assert.ok(fired[i]![1] >= fired[i - 1]![1]);
      },
    ),
  );
});

test('snapshot and restore keep every live timer', () => {
  const fired: [string, number, unknown][] = [];
  const { svc, setKey } = service(fired);
  setKey('x');
  svc.registerEventTimeTimer('n', 7);
  svc.registerProcessingTimeTimer(null, 9);
  const m = new Map<number, TimerEntry[]>();
  svc.snapshot(m);
  const fired2: [string, number, unknown][] = [];
  const { svc: svc2 } = service(fired2);
  svc2.restore([...m.values()].flat());
  svc2.advanceWatermark(7);
  svc2.advanceProcessingTime(9);
  assert.deepEqual(fired2, [
    ['e:x', 7, 'n'],
    ['p:x', 9, null],
  ]);
});

test('property: timers dedupe by key VALUE (object keys too), deletes apply, and a snapshot restores the same live set', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.boolean(), fc.constantFrom<unknown>('a', 1, { u: 1 }, ['x', 2]), fc.constantFrom<string | null>(null, 'w1', 'w2'), fc.integer({ min: 0, max: 5 })),
        { maxLength: 80 },
      ),
      (ops) => {
        const fired: [string, number, unknown][] = [];
        const { svc, setKey } = service(fired);
        const model = new Map<string, [unknown, string | null, number]>();
        for (const [del, key, ns, t] of ops) {
          // A fresh object per call: equality must be by value, not identity.
          const k = typeof key === 'object' ? structuredClone(key) : key;
          setKey(k);
          const id = `${JSON.stringify(key)}|${ns}|${t}`;
          if (del) {
            svc.deleteEventTimeTimer(ns, t);
            model.delete(id);
          } else {
            svc.registerEventTimeTimer(ns, t);
            if (!model.has(id)) model.set(id, [key, ns, t]);
          }
        }
        assert.equal(svc.timerCount().event, model.size);
        const snap = new Map<number, TimerEntry[]>();
        svc.snapshot(snap);
        const restoredFired: [string, number, unknown][] = [];
        const r = service(restoredFired);
        r.svc.restore([...snap.values()].flat());
        assert.equal(r.svc.timerCount().event, model.size);
        svc.advanceWatermark(10);
        r.svc.advanceWatermark(10);
        assert.equal(fired.length, model.size);
        const norm = (f: [string, number, unknown][]) => f.map(([k, t, ns]) => `${k}|${String(ns)}|${t}`).sort();
        assert.deepEqual(norm(restoredFired), norm(fired));
        assert.deepEqual(fired.map((f) => f[1]), [...fired.map((f) => f[1])].sort((x, y) => x - y));
      },
    ),
  );
});

test('timers of equal time fire in registration order, in a job and in its restored copy alike', () => {
  const run = (restoreMidway: boolean): string[] => {
    const fired: [string, number, unknown][] = [];
    let { svc, setKey } = service(fired);
    const reg = (k: string, t: number) => {
      setKey(k);
      svc.registerEventTimeTimer(null, t);
    };
    reg('a', 6);
    reg('a', 11);
    reg('c', 7);
    reg('c', 12);
    setKey('a');
    svc.deleteEventTimeTimer(null, 6);
    svc.deleteEventTimeTimer(null, 11);
    reg('a', 7);
    reg('a', 12);
    if (restoreMidway) {
      const snap = new Map<number, TimerEntry[]>();
      svc.snapshot(snap);
      const r = service(fired);
      r.svc.restore([...snap.values()].flat());
      ({ svc, setKey } = r);
    }
    reg('b', 7);
    svc.advanceWatermark(100);
    return fired.map(([k, t]) => `${k}@${t}`);
  };
  assert.deepEqual(run(false), ['e:c@7', 'e:a@7', 'e:b@7', 'e:c@12', 'e:a@12']);
  assert.deepEqual(run(true), run(false));
});

// What a firing may do to its own key's timers (a window registering its next end, a
// function re-arming itself): register successors, including one at the fired time itself, and
// delete them again. Checked against a model that keeps the pending timers in a plain list.
test('property: timers registered and deleted while a timer fires behave as if registered outside it', () => {
  type Action = ['reg' | 'del', number];
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 20 }),
      fc.array(fc.array(fc.tuple(fc.constantFrom<'reg' | 'del'>('reg', 'del'), fc.integer({ min: 0, max: 12 })), { maxLength: 3 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 5 }),
      (initial, scripts, steps) => {
        // The n-th firing (over the whole run) runs scripts[n % length]; each action is relative
        // to the fired time, and a firing acts at most 40 times in all so the run ends.
        const script = (n: number): Action[] => (n < 40 ? (scripts[n % scripts.length] as Action[]) : []);
        const pending: Array<[string, number]> = [];
        const modelFired: string[] = [];
        const has = (k: string, t: number) => pending.some(([pk, pt]) => pk === k && pt === t);
        let firings = 0;

        const svcFired: [string, number, unknown][] = [];
        let svcFirings = 0;
        const { svc, setKey } = service(svcFired, (s, t) => {
          for (const [op, d] of script(svcFirings++)) {
            if (op === 'reg') s.registerEventTimeTimer(null, t + d);
            else s.deleteEventTimeTimer(null, t + d);
          }
        });
        for (const [k, t] of initial) {
          setKey(k);
          svc.registerEventTimeTimer(null, t);
          if (!has(k, t)) pending.push([k, t]);
        }
        for (const wm of steps.sort((x, y) => x - y)) {
          svc.advanceWatermark(wm);
          // The model: the earliest pending timer fires first, ties in registration order.
          for (;;) {
            let i = -1;
            for (let j = 0; j < pending.length; j++) if (pending[j]![1] <= wm && (i < 0 || pending[j]![1] < pending[i]![1])) i = j;
            if (i < 0) break;
            const [k, t] = pending.splice(i, 1)[0]!;
            modelFired.push(`e:${k}@${t}`);
            for (const [op, d] of script(firings++)) {
              if (op === 'reg' && !has(k, t + d)) pending.push([k, t + d]);
              if (op === 'del') {
                const at = pending.findIndex(([pk, pt]) => pk === k && pt === t + d);
                if (at >= 0) pending.splice(at, 1);
              }
            }
          }
          assert.deepEqual(svcFired.map(([k, t]) => `${k}@${t}`), modelFired);
          assert.equal(svc.timerCount().event, pending.length);
        }
        // Whatever is pending is registered once: registering it again adds nothing.
        for (const [k, t] of pending) {
          setKey(k);
          svc.registerEventTimeTimer(null, t);
        }
        assert.equal(svc.timerCount().event, pending.length);
      },
    ),
  );
});

test('a key whose timer fired without a successor can register the same times as other keys again', () => {
  const fired: [string, number, unknown][] = [];
  const { svc, setKey } = service(fired);
  setKey('a');
  svc.registerEventTimeTimer(null, 5);
  svc.advanceWatermark(5); // a@5 fires and registers nothing: its timer is free for reuse
  setKey('b');
  svc.registerEventTimeTimer(null, 10); // may reuse a@5's timer
  setKey('a');
  svc.registerEventTimeTimer(null, 10); // must not be taken for b's
  assert.deepEqual(svc.timerCount(), { event: 2, processing: 0 });
  svc.advanceWatermark(10);
  assert.deepEqual(fired.map(([k, t]) => `${k}@${t}`), ['e:a@5', 'e:b@10', 'e:a@10']);
});
