// The Nexmark Bid record in each schema language the formats benchmark measures, and a
// deterministic record generator, so every format encodes exactly the same values.
// Imports nothing.

export interface BidRecord {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export const BID_AVRO = JSON.stringify({
  type: 'record',
  name: 'Bid',
  namespace: 'nexmark',
  fields: [
    { name: 'auction', type: 'long' },
    { name: 'bidder', type: 'long' },
    { name: 'price', type: 'long' },
    { name: 'channel', type: 'string' },
    { name: 'url', type: 'string' },
    { name: 'dateTime', type: 'long' },
    { name: 'extra', type: 'string' },
  ],
});

/** v2 adds a field with a default: a BACKWARD-compatible change (readers on v2 resolve v1 data). */
export const BID_AVRO_V2 = JSON.stringify({
  type: 'record',
  name: 'Bid',
  namespace: 'nexmark',
  fields: [...(JSON.parse(BID_AVRO) as { fields: unknown[] }).fields, { name: 'currency', type: 'string', default: 'USD' }],
});

export const BID_PROTO = `syntax = "proto3";
package nexmark;
message Bid {
  int64 auction = 1;
  int64 bidder = 2;
  int64 price = 3;
  string channel = 4;
  string url = 5;
  int64 dateTime = 6;
  string extra = 7;
}
`;

export const BID_JSON_SCHEMA = JSON.stringify({
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Bid',
  type: 'object',
  properties: {
    auction: { type: 'integer' },
    bidder: { type: 'integer' },
    price: { type: 'integer' },
    channel: { type: 'string' },
    url: { type: 'string' },
    dateTime: { type: 'integer' },
    extra: { type: 'string' },
  },
  required: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
  additionalProperties: false,
});

const CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** Bids shaped like the Nexmark generator's (ids in the thousands, cents, a URL with a channel id, short extra). */
export function makeBids(n: number, seed = 1): BidRecord[] {
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32: deterministic and cheap
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
  const out: BidRecord[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const channel = CHANNELS[Math.floor(rnd() * CHANNELS.length)] as string;
    out.push({
      auction: 1000 + Math.floor(rnd() * 10_000),
      bidder: 1000 + Math.floor(rnd() * 100_000),
      price: 100 + Math.floor(rnd() * 1_000_000),
      channel,
      url: `https://www.nexmark.com/${channel.toLowerCase()}/item.htm?query=1&channel_id=${Math.floor(rnd() * 2 ** 30)}`,
      dateTime: t0 + i * 10,
      extra: 'x'.repeat(Math.floor(rnd() * 20)),
    });
  }
  return out;
}
