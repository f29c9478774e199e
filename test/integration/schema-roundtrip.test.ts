// Producer -> pipeline -> consumer over the Sluice broker with schema-registry formats, across
// a compatible schema change while the pipeline runs. The producer and consumer sides are
// written independently of src/schema/serdes (registration over plain REST, encoding with
// avsc / protobufjs and a hand-framed Confluent header, decoding through GET /schemas/ids/{id}),
// so the test checks the serdes and the engine against the wire format, not against themselves.
//
// Flow per schema type: a kafkajs producer registers Bid v1 under `bids-value` and writes v1
// records (and two bad ones); the pipeline is deployed with the v2 reader schema (registered by
// its source format: consumers upgrade first under BACKWARD), maps each bid to a PricedBid and
// writes it with a sink format that registers `priced-bids-value`; the producer then switches
// to v2 (new field `currency`) and writes more (and one truncated record); a kafkajs consumer
// reads `priced-bids` and decodes it through the registry; bad records land in `bids.dlq`
// with the reason in headers, and every good record comes out, in order, with the right values.
//
// The engine opens both formats itself (the source's registers the v2 reader, the sink's the
// output schema), fetches writer schemas it has not seen (v1, then nothing new for v2) through
// decodeAsync instead of dead-lettering them, calls the sink format's encode as a method, and
// creates `bids.dlq` on the first dead letter while the consumer's subscription auto-creates
// it at the same time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import { Registry } from '../../src/schema/registry.js';
import { RegistryServer } from '../../src/schema/http/registry-server.js';
import { LogRegistryStore, SCHEMAS_TOPIC } from '../../src/schema/store/log-registry-store.js';
import { RegistryClient } from '../../src/schema/serdes/registry-client.js';
import { avroFormat, protobufFormat, type SchemaFormat, type SchemaFormatOptions } from '../../src/schema/serdes/schema-format.js';
import type { SchemaType } from '../../src/schema/types.js';
import { pipeline } from '../../src/engine/api/pipeline.js';
import { topic } from '../../src/engine/sources/log-topic-source.js';
import { topicSink } from '../../src/engine/sinks/log-topic-sink.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}
type BidV2 = Bid & { currency: string };
interface PricedBid {
  auction: number;
  bidder: number;
  amount: number;
  currency: string;
  channel: string;
}

/** One schema type's independent encoder/decoder (the "other client" side of the wire). */
interface Flavour {
  name: string;
  schemaType: SchemaType;
  v1: string;
  v2: string;
  out: string;
  /** Payload only; the framing is done by frame(). */
  encode(schemaText: string, value: Bid | BidV2): Buffer;
  /** Confluent framing: magic 0, id (int32 BE), for Protobuf the message-index path [0] as one 0 byte. */
  frame(id: number, payload: Buffer): Buffer;
  /** Reads a framed record: returns the schema id and the payload after the header. */
  unframe(buf: Buffer): { id: number; payload: Buffer };
  decode(schemaText: string, payload: Buffer): unknown;
  format<T>(o: SchemaFormatOptions): SchemaFormat<T>;
  /** Registry store: the broker's own log (the `_schemas` topic next to the data) or a separate one. */
  shareLog: boolean;
}

function header(id: number): Buffer {
  const h = Buffer.alloc(5);
  h[0] = 0;
  h.writeInt32BE(id, 1);
  return h;
}

const avroTypes = new Map<string, avro.Type>();
const avroType = (text: string): avro.Type => {
  let t = avroTypes.get(text);
  if (!t) avroTypes.set(text, (t = avro.Type.forSchema(JSON.parse(text) as avro.Schema)));
  return t;
};
const protoTypes = new Map<string, protobuf.Type>();
const protoType = (text: string): protobuf.Type => {
  let t = protoTypes.get(text);
  if (!t) {
    const root = protobuf.parse(text, { keepCase: true }).root;
    // the first message of the file: message index [0]
    const pkg = /package\s+([\w.]+);/.exec(text)?.[1] ?? '';
    const msg = /message\s+(\w+)/.exec(text)?.[1] ?? '';
    protoTypes.set(text, (t = root.lookupType(`${pkg}.${msg}`)));
  }
  return t;
};

const AVRO: Flavour = {
  name: 'avro',
  schemaType: 'AVRO',
  v1: fixture('schema-bid-v1.avsc'),
  v2: fixture('schema-bid-v2.avsc'),
  out: fixture('schema-bid-out.avsc'),
  encode: (text, value) => avroType(text).toBuffer(value),
  frame: (id, payload) => Buffer.concat([header(id), payload]),
  unframe(buf) {
    assert.equal(buf[0], 0, 'magic byte');
    return { id: buf.readInt32BE(1), payload: buf.subarray(5) };
  },
  // avsc returns instances of a generated record class; compare as plain objects
  decode: (text, payload) => ({ ...(avroType(text).fromBuffer(payload) as object) }),
  format: (o) => avroFormat(o),
  shareLog: true,
};

const PROTOBUF: Flavour = {
  name: 'protobuf',
  schemaType: 'PROTOBUF',
  v1: fixture('schema-bid-v1.proto'),
  v2: fixture('schema-bid-v2.proto'),
  out: fixture('schema-bid-out.proto'),
  encode: (text, value) => {
    const t = protoType(text);
    return Buffer.from(t.encode(t.fromObject(value as unknown as Record<string, unknown>)).finish());
  },
  frame: (id, payload) => Buffer.concat([header(id), Buffer.from([0]), payload]),
  unframe(buf) {
    assert.equal(buf[0], 0, 'magic byte');
    assert.equal(buf[5], 0, 'message indexes: the single byte 0 stands for [0], the first message');
    return { id: buf.readInt32BE(1), payload: buf.subarray(6) };
  },
  decode: (text, payload) => {
    const t = protoType(text);
    return t.toObject(t.decode(payload), { longs: Number, defaults: true });
  },
  format: (o) => protobufFormat(o),
  shareLog: false,
};

async function rest(url: string, method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url + p, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

async function register(url: string, subject: string, schema: string, schemaType: SchemaType): Promise<number> {
  const r = await rest(url, 'POST', `/subjects/${subject}/versions`, { schema, schemaType });
  assert.equal(r.status, 200, `register ${subject}: ${JSON.stringify(r.body)}`);
  return (r.body as { id: number }).id;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function bid(i: number): Bid {
  const channel = ['Google', 'Facebook', 'Baidu', 'Apple'][i % 4] as string;
  return {
    auction: 1000 + (i % 17),
    bidder: 2000 + i,
    price: 150 + i * 37,
    channel,
    url: `https://www.nexmark.com/${channel.toLowerCase()}/item.htm?query=${i}`,
    dateTime: Date.UTC(2026, 0, 1) + i * 1000,
    extra: 'x'.repeat(i % 5),
  };
}

/** The pipeline's transformation (the same function is the expectation's source of truth, applied to the inputs). */
function priced(b: Bid & { currency?: string }): PricedBid {
  return {
    auction: b.auction,
    bidder: b.bidder,
    amount: b.price / 100,
    // Avro v2 readers get the default "USD" for v1 data; proto3 readers get "" (the field's zero value)
    currency: b.currency === undefined || b.currency === '' ? 'USD' : b.currency,
    channel: b.channel.toUpperCase(),
  };
}

async function roundTrip(fl: Flavour): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-schema-rt-${fl.name}-`));
  const log = await Log.open({ dataDir: path.join(dir, 'broker'), flush: { mode: 'os' }, cleaner: false });
  const broker = await Broker.start({ log, port: 0, ownsLog: false });
  const store = fl.shareLog ? await LogRegistryStore.open({ log }) : await LogRegistryStore.open({ dataDir: path.join(dir, 'registry') });
  const registry = await Registry.open(store);
  const server = new RegistryServer(registry, { port: 0 });
  const { url } = await server.listen();
  const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], clientId: `schema-rt-${fl.name}`, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `schema-rt-${fl.name}`, maxWaitTimeInMs: 100 });
  let job: ReturnType<ReturnType<typeof pipeline>['start']> | undefined;
  try {
    await admin.connect();
    // bids.dlq is not created here: the source creates it on its first dead letter, racing the
    // consumer's subscription (broker auto-create); either creation must do.
    const topics = [{ topic: 'bids' }, { topic: 'priced-bids' }];
    assert.equal(await admin.createTopics({ topics, waitForLeaders: true }), true);
    await producer.connect();

    // ---- producer, schema v1 (and two records no reader can use) --------------------------
    const v1Id = await register(url, 'bids-value', fl.v1, fl.schemaType);
    const v1Bids = Array.from({ length: 30 }, (_, i) => bid(i));
    const badMagic = Buffer.concat([Buffer.from([1]), fl.frame(v1Id, fl.encode(fl.v1, bid(99))).subarray(1)]);
    const unknownId = fl.frame(9999, fl.encode(fl.v1, bid(98)));
    const inputs: Buffer[] = [...v1Bids.slice(0, 15).map((b) => fl.frame(v1Id, fl.encode(fl.v1, b))), badMagic];
    inputs.push(...v1Bids.slice(15).map((b) => fl.frame(v1Id, fl.encode(fl.v1, b))), unknownId);
    await producer.send({ topic: 'bids', acks: -1, messages: inputs.map((value, i) => ({ key: `k${i}`, value })) });

    // ---- the pipeline, deployed with the v2 reader --------------------------------------------
    const client = new RegistryClient({ url });
    const source = fl.format<BidV2>({ registry: client, subject: 'bids-value', schema: fl.v2 });
    const out = fl.format<PricedBid>({ registry: client, subject: 'priced-bids-value', schema: fl.out });
    // Not opened here: the engine opens them (the source's registers v2 under bids-value,
    // BACKWARD-compatible with v1) and the first v1 record makes the source fetch schema v1.
    assert.equal(source.schemaId === undefined, true, 'not opened yet');

    const p = pipeline(`schema-roundtrip-${fl.name}`, { resources: { log }, pollTimeoutMs: 20, batchSize: 16 });
    p.from(topic<BidV2>('bids', { format: source }))
      .map((b) => priced(b))
      .to(topicSink('priced-bids', { format: out, exactlyOnce: false, key: (r) => String(r.bidder) }));
    job = p.start();
    let jobError: unknown;
    job.done.then(
      () => (jobError ??= new Error('the unbounded job ended early')),
      (err: unknown) => (jobError = err),
    );
    const failedEarly = (): boolean => {
      if (jobError !== undefined) throw jobError;
      return false;
    };

    // ---- the consumer ------------------------------------------------------------------------
    const outputs: { id: number; value: PricedBid; key: string }[] = [];
    const dead: KafkaMessage[] = [];
    const schemaById = new Map<number, string>();
    const decodeErrors: unknown[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['priced-bids', 'bids.dlq'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, message }) => {
        if (t === 'bids.dlq') {
          dead.push(message);
          return;
        }
        try {
          const { id, payload } = fl.unframe(message.value as Buffer);
          let text = schemaById.get(id);
          if (text === undefined) {
            const r = await rest(url, 'GET', `/schemas/ids/${id}`);
            assert.equal(r.status, 200);
            text = (r.body as { schema: string }).schema;
            schemaById.set(id, text);
          }
          outputs.push({ id, value: fl.decode(text, payload) as PricedBid, key: message.key?.toString() ?? '' });
        } catch (err) {
          decodeErrors.push(err);
        }
      },
    });
    await waitFor('v1 records through the pipeline', () => failedEarly() || outputs.length >= v1Bids.length || decodeErrors.length > 0);

    // ---- producer switches to v2 mid-stream ----------------------------------------------------
    const v2Id = source.schemaId;
    assert.ok(v2Id !== undefined && v2Id !== v1Id, 'the engine opened the source format (registered v2)');
    const lookedUp = await rest(url, 'POST', '/subjects/bids-value', { schema: fl.v2, schemaType: fl.schemaType });
    assert.equal(lookedUp.status, 200);
    assert.deepEqual([(lookedUp.body as { id: number }).id, (lookedUp.body as { version: number }).version], [v2Id, 2]);
    const currencies = ['EUR', 'GBP', 'JPY'];
    const v2Bids: BidV2[] = Array.from({ length: 30 }, (_, i) => ({ ...bid(100 + i), currency: currencies[i % 3] as string }));
    const truncated = Buffer.from([0, 0, 0]);
    await producer.send({
      topic: 'bids',
      acks: -1,
      messages: [
        ...v2Bids.slice(0, 10).map((b) => ({ value: fl.frame(v2Id, fl.encode(fl.v2, b)) })),
        { value: truncated },
        ...v2Bids.slice(10).map((b) => ({ value: fl.frame(v2Id, fl.encode(fl.v2, b)) })),
      ],
    });
    const expected = [...v1Bids, ...v2Bids].map((b) => priced(b));
    await waitFor('all records and dead letters', () => failedEarly() || (outputs.length >= expected.length && dead.length >= 3) || decodeErrors.length > 0);
    assert.deepEqual(decodeErrors, []);

    // Old and new records both read correctly, in order, with the values the map computes.
    assert.deepEqual(
      outputs.map((o) => o.value),
      expected,
    );
    assert.equal(outputs.filter((o) => o.value.currency === 'USD').length, v1Bids.length, 'v1 records read with the v2 default');
    assert.deepEqual(outputs.map((o) => o.key), expected.map((e) => String(e.bidder)));
    // Every output record names the schema the sink registered, and that is the subject's latest.
    const outLatest = await rest(url, 'GET', '/subjects/priced-bids-value/versions/latest');
    assert.equal(outLatest.status, 200);
    assert.deepEqual([...new Set(outputs.map((o) => o.id))], [(outLatest.body as { id: number }).id]);
    assert.equal((outLatest.body as { id: number }).id, out.schemaId);
    const versions = await rest(url, 'GET', '/subjects/bids-value/versions');
    assert.deepEqual(versions.body, [1, 2]);

    // Bad records: dead-lettered with the reason and their origin in headers; nothing else was.
    assert.equal(dead.length, 3);
    const h = (m: KafkaMessage, k: string): string => String(m.headers?.[k] ?? '');
    const byOffset = new Map(dead.map((m) => [Number(h(m, 'sluice.dlq.offset')), m]));
    const badMagicMsg = byOffset.get(15);
    const unknownIdMsg = byOffset.get(31);
    const truncatedMsg = byOffset.get(42);
    assert.ok(badMagicMsg && unknownIdMsg && truncatedMsg, `dead-letter offsets: ${[...byOffset.keys()].join(',')}`);
    assert.match(h(badMagicMsg, 'sluice.dlq.reason'), /magic byte 1/);
    assert.equal(h(badMagicMsg, 'sluice.dlq.error-code'), 'DESERIALIZATION_FAILED');
    assert.equal(h(badMagicMsg, 'sluice.dlq.error-reason'), 'WRONG_MAGIC_BYTE');
    assert.deepEqual(badMagicMsg.value, badMagic, 'the dead letter keeps the original bytes');
    assert.equal(badMagicMsg.key?.toString(), 'k15');
    // The source tried to fetch the unknown id (decodeAsync) before giving up on it.
    assert.equal(h(unknownIdMsg, 'sluice.dlq.reason'), 'unknown writer schema id 9999');
    assert.equal(h(unknownIdMsg, 'sluice.dlq.error-code'), 'SCHEMA_NOT_FOUND');
    assert.deepEqual(unknownIdMsg.value, unknownId);
    assert.match(h(truncatedMsg, 'sluice.dlq.reason'), /too short/);
    assert.equal(h(truncatedMsg, 'sluice.dlq.error-reason'), 'TRUNCATED');
    for (const m of dead) {
      assert.equal(h(m, 'sluice.dlq.topic'), 'bids');
      assert.equal(h(m, 'sluice.dlq.partition'), '0');
      assert.equal(h(m, 'sluice.dlq.format'), fl.name);
    }
    assert.equal(job.metrics()['dead-letters'], 3);

    // The registry still guards the subject: an incompatible v3 (price becomes a string) is refused.
    const v3 = fl.schemaType === 'AVRO' ? fl.v2.replace('{ "name": "price", "type": "long"', '{ "name": "price", "type": "string"') : fl.v2.replace('int64 price = 3;', 'string price = 3;');
    assert.notEqual(v3, fl.v2);
    const refused = await rest(url, 'POST', '/subjects/bids-value/versions', { schema: v3, schemaType: fl.schemaType });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    if (fl.shareLog) assert.ok(log.hasTopic(SCHEMAS_TOPIC), 'the registry keeps its schemas in the broker log');
  } finally {
    if (job) await job.stop().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await server.close();
    await registry.close();
    await broker.stop();
    await log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('avro: producer v1 then v2 -> pipeline -> consumer through the registry; bad records dead-lettered', { timeout: 60_000 }, async () => {
  await roundTrip(AVRO);
});

test('protobuf: producer v1 then v2 -> pipeline -> consumer through the registry; bad records dead-lettered', { timeout: 60_000 }, async () => {
  await roundTrip(PROTOBUF);
});
