/**
 * Binary form of a checkpoint (or any JSON-like value with Float32Array leaves), for object stores:
 *   8 bytes magic "ASSAYCK1" | uint32 LE header length | header JSON (UTF-8) | zero padding to a
 *   multiple of 4 | float32 LE data, every array concatenated.
 * In the header each Float32Array is replaced by {"$f32": [elementOffset, length]}.
 */
const MAGIC = 'ASSAYCK1';
const F32_KEY = '$f32';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function encodeCheckpoint(value: unknown): Uint8Array {
  const arrays: Float32Array[] = [];
  let elements = 0;
  const walk = (v: unknown): Encoded => {
    if (v instanceof Float32Array) {
      arrays.push(v);
      const ref = { [F32_KEY]: [elements, v.length] };
      elements += v.length;
      return ref;
    }
    if (ArrayBuffer.isView(v)) throw new Error(`encodeCheckpoint supports Float32Array only, got ${v.constructor.name}`);
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) {
      if (F32_KEY in v) throw new Error(`key "${F32_KEY}" is reserved`);
      const out: Record<string, Encoded> = {};
      for (const [k, item] of Object.entries(v)) if (item !== undefined) out[k] = walk(item);
      return out;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`non-finite number ${v} cannot be encoded`);
    if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
    throw new Error(`cannot encode value of type ${typeof v}`);
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const dataStart = Math.ceil((12 + header.length) / 4) * 4;
  const out = new Uint8Array(dataStart + elements * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  let at = dataStart;
  for (const arr of arrays) {
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), at);
      at += arr.byteLength;
    } else {
      for (let i = 0; i < arr.length; i++, at += 4) view.setFloat32(at, arr[i], true);
    }
  }
  return out;
}

export function decodeCheckpoint<T = unknown>(bytes: Uint8Array): T {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error('not an Assay checkpoint (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new Error('truncated checkpoint header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Encoded;
  const dataStart = Math.ceil((12 + headerLength) / 4) * 4;
  const totalElements = (bytes.length - dataStart) / 4;
  const revive = (v: Encoded): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (isPlainObject(v)) {
      const ref = v[F32_KEY];
      if (Array.isArray(ref)) {
        const [offset, length] = ref as number[];
        if (offset + length > totalElements) throw new Error('truncated checkpoint data');
        const arr = new Float32Array(length);
        const start = dataStart + offset * 4;
        if (LITTLE_ENDIAN_HOST) new Uint8Array(arr.buffer).set(bytes.subarray(start, start + length * 4));
        else for (let i = 0; i < length; i++) arr[i] = view.getFloat32(start + i * 4, true);
        return arr;
      }
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = revive(item as Encoded);
      return out;
    }
    return v;
  };
  return revive(header) as T;
}
