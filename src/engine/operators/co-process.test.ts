import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyedCoProcessHarness } from '../testing/test-harness.js';
import { valueStateDescriptor } from '../state/descriptors.js';
import { pipeline } from '../api/pipeline.js';
import { fromCollection } from '../sources/collection-source.js';
import { collectSink } from '../sinks/collect-sink.js';
import type { ValueState } from '../state/types.js';

interface Order {
  id: string;
  amount: number;
}
interface Payment {
  orderId: string;
  paid: number;
}

test('keyed co-process: joins orders with payments by key, times out unpaid orders', () => {
  let order: ValueState<Order>;
  const h = keyedCoProcessHarness<string, Order, Payment, string>(
    {
      open(ctx) {
        order = ctx.getState(valueStateDescriptor<Order>('order'));
      },
      processElement1(o, ctx) {
        order.update(o);
        ctx.timerService.registerEventTimeTimer(ctx.timestamp + 1000);
      },
      processElement2(p, ctx, out) {
        const o = order.value();
        if (o) {
          out.collect(`${o.id} paid ${p.paid}/${o.amount}`);
          ctx.timerService.deleteEventTimeTimer(o.amount === 10 ? 1100 : 1200);
          order.clear();
        }
      },
      onTimer(_ts, ctx, out) {
        if (order.value()) out.collect(`${ctx.getCurrentKey()} unpaid`);
        order.clear();
      },
    },
    (o) => o.id,
    (p) => p.orderId,
  );
  h.processElement({ id: 'o1', amount: 10 }, 100, 0);
  h.processElement({ id: 'o2', amount: 20 }, 200, 0);
  h.processElement({ orderId: 'o1', paid: 10 }, 300, 1);
  assert.deepEqual(h.extractOutputValues(), ['o1 paid 10/10']);
  assert.deepEqual(h.timerCount(), { event: 1, processing: 0 }, "o1's timeout was deleted");
  h.processWatermark(5000, 0);
  assert.deepEqual(h.extractOutputValues(), [], 'the second input holds the watermark back');
  h.processWatermark(5000, 1);
  assert.deepEqual(h.extractOutputValues(), ['o2 unpaid']);
  assert.deepEqual(h.timerCount(), { event: 0, processing: 0 });
});

test('connect + CoProcessFunction on unkeyed streams sees both inputs', async () => {
  const job = pipeline('co');
  const sink = collectSink<string>();
  job
    .from(fromCollection([1, 2]))
    .connect(job.from(fromCollection(['a'])))
    .process<string>({
      processElement1(v, _ctx, out) {
        out.collect(`n${v}`);
      },
      processElement2(v, _ctx, out) {
        out.collect(`s${v}`);
      },
    })
    .to(sink);
  await job.run();
  assert.deepEqual([...sink.collected.values].sort(), ['n1', 'n2', 'sa']);
});
