/**
 * Just enough protobuf to edit an ONNX file without decoding it: messages are read as spans of fields and
 * written back by concatenating the untouched spans with the edited ones. Nothing is decoded that is not
 * edited, so fields this code (or onnx-proto's schema) does not know survive byte for byte, and weights are
 * never copied into JavaScript objects.
 */
export interface RawField {
  field: number;
  wire: number;
  /** The whole field (tag included) within the message buffer. */
  start: number;
  end: number;
  /** The value (for length-delimited fields: the payload). */
  dataStart: number;
  dataEnd: number;
}

function readVarint(buf: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const byte = buf[i];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error(`malformed protobuf varint at byte ${at}`);
}

/** The fields of one message, in file order. Throws on truncated or malformed bytes. */
export function readFields(buf: Uint8Array): RawField[] {
  const fields: RawField[] = [];
  let at = 0;
  while (at < buf.length) {
    const start = at;
    const tag = readVarint(buf, at);
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    let dataStart = at;
    switch (wire) {
      case 0:
        at = readVarint(buf, at).next;
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = readVarint(buf, at);
        dataStart = length.next;
        at = length.next + length.value;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wire} at byte ${start}`);
    }
    if (at > buf.length || field === 0) throw new Error(`truncated or malformed protobuf at byte ${start}`);
    fields.push({ field, wire, start, end: at, dataStart, dataEnd: at });
  }
  return fields;
}

export function payload(buf: Uint8Array, f: RawField): Uint8Array {
  return buf.subarray(f.dataStart, f.dataEnd);
}

export function text(buf: Uint8Array, f: RawField): string {
  return new TextDecoder().decode(payload(buf, f));
}

export function varint(buf: Uint8Array, f: RawField): number {
  return readVarint(buf, f.dataStart).value;
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field (sub-message, string or bytes) with its tag. */
export function lengthDelimited(field: number, value: Uint8Array | string): Uint8Array {
  const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  const head = [...encodeVarint(field * 8 + 2), ...encodeVarint(data.length)];
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The message with some fields replaced (by index into `fields`: new full field bytes, tag included) and
 * new fields appended at the end (protobuf keeps repeated fields in order, so appended elements come last).
 */
export function rewrite(buf: Uint8Array, fields: RawField[], replaced: Map<number, Uint8Array>, appended: Uint8Array[] = []): Uint8Array {
  const parts: Uint8Array[] = [];
  fields.forEach((f, i) => parts.push(replaced.get(i) ?? buf.subarray(f.start, f.end)));
  return concat([...parts, ...appended]);
}
