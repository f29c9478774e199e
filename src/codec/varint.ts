// Variable-length integers as Kafka uses them: unsigned LEB128 ("uvarint", for compact
// lengths and tagged fields) and zigzag-encoded signed varints (record fields).
// 64-bit values are JavaScript numbers: exact up to 2^53, which covers every offset,
// timestamp and delta Sluice produces (the reader and writer encode signed varints up to
// +-2^53 exactly); larger magnitudes lose low bits, never sign.

const TWO_32 = 2 ** 32;

export function zigzagEncode(value: number): number {
  // For 32-bit values the bit trick is exact; beyond that use arithmetic.
  if (value >= -0x40000000 && value < 0x40000000) return ((value << 1) ^ (value >> 31)) >>> 0;
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function zigzagDecode(value: number): number {
  if (value < TWO_32) return (value >>> 1) ^ -(value & 1);
  // value is even for non-negative originals
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Bytes an unsigned varint takes. */
export function sizeOfUVarint(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Bytes a zigzag signed varint takes. */
export function sizeOfVarint(value: number): number {
  if (value > -(2 ** 52) && value < 2 ** 52) return sizeOfUVarint(zigzagEncode(value));
  // 2^52 <= |value| <= 2^53: the zigzag form has 53 or 54 significant bits, 8 bytes either way.
  return 8;
}
