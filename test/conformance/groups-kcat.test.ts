// kcat (librdkafka's classic group protocol) consuming in a group with -G: it joins, gets
// every partition, commits what it consumed, and a later member of the same group resumes
// from those commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker } from './broker-harness.js';
import { kcat } from './kcat-support.js';
import { groupCoordinatorOf } from '../../src/broker/groups/broker-groups.js';

test('kcat -G: consumes every partition in a group and the group resumes from its commits', { timeout: 90_000 }, async () => {
  const h = await startBroker();
  try {
    await h.log.createTopic('events', 4);
    for (let p = 0; p < 4; p++) {
      await h.log.partition('events', p).appendRecords(Array.from({ length: 5 }, (_, i) => ({ value: Buffer.from(`p${p}-${i}`) })));
    }
    const args = (count: number) => ['-b', h.address, '-G', 'kc-group', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-c', String(count), '-f', '%s\n', '-q', 'events'];
    const first = await kcat(args(20));
    assert.equal(first.code, 0, first.stderr);
    const got = first.stdout.trim().split('\n').sort();
    const want = [0, 1, 2, 3].flatMap((p) => Array.from({ length: 5 }, (_, i) => `p${p}-${i}`)).sort();
    assert.deepEqual(got, want);
    const committed = h.log.groupOffsets.fetch('kc-group').get('events');
    assert.deepEqual([0, 1, 2, 3].map((p) => committed?.get(p)?.offset), [5, 5, 5, 5], 'kcat committed on leaving the group');

    await h.log.partition('events', 2).appendRecords([{ value: Buffer.from('late-1') }, { value: Buffer.from('late-2') }]);
    const second = await kcat(args(2));
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.trim().split('\n'), ['late-1', 'late-2'], 'only records after the committed offsets');
  } finally {
    await h.stop();
  }
});

test('kcat -G with group.instance.id: a restarted static member takes its place again', { timeout: 90_000 }, async () => {
  const h = await startBroker();
  try {
    await h.log.createTopic('static', 2);
    await h.log.partition('static', 0).appendRecords([{ value: Buffer.from('s0') }]);
    await h.log.partition('static', 1).appendRecords([{ value: Buffer.from('s1') }]);
    const args = (count: number) => ['-b', h.address, '-G', 'kc-static', '-X', 'group.instance.id=worker-1', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=30000', '-c', String(count), '-f', '%s\n', '-q', 'static'];
    const first = await kcat(args(2));
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.trim().split('\n').sort(), ['s0', 's1']);
    // A static member does not leave on close: the broker still holds it for its session.
    const d1 = groupCoordinatorOf(h.broker.context).groupState('kc-static');
    assert.equal(d1?.members.length, 1, 'the static member stays registered after kcat exits');
    await h.log.partition('static', 1).appendRecords([{ value: Buffer.from('s2') }]);
    const second = await kcat(args(1));
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.trim().split('\n'), ['s2']);
    const d2 = groupCoordinatorOf(h.broker.context).groupState('kc-static');
    assert.equal(d2?.members.length, 1, 'the restarted instance replaced its old member id instead of adding one');
  } finally {
    await h.stop();
  }
});
