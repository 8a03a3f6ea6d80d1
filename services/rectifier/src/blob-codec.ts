/**
 * Job scratch blobs of the rectifier: a JSON header and float arrays in one buffer
 * ([u32 header length][header JSON][arrays, 8-byte aligned, little-endian]), so rollouts and trainer snapshots
 * (megabytes of floats) never go through JSON.
 */
type FloatArray = Float32Array | Float64Array;

interface Header<M> {
  meta: M;
  arrays: { kind: 'f32' | 'f64'; length: number }[];
}

export function encodeBlob<M>(meta: M, arrays: FloatArray[]): Buffer {
  const header: Header<M> = { meta, arrays: arrays.map((a) => ({ kind: a instanceof Float32Array ? 'f32' : 'f64', length: a.length })) };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = align8(4 + json.length);
  let size = start;
  for (const a of arrays) size = align8(size + a.byteLength);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let offset = start;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, offset);
    offset = align8(offset + a.byteLength);
  }
  return out;
}

export function decodeBlob<M>(buffer: Buffer): { meta: M; arrays: FloatArray[] } {
  const length = buffer.readUInt32LE(0);
  const header = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8')) as Header<M>;
  let offset = align8(4 + length);
  const arrays = header.arrays.map(({ kind, length: n }) => {
    const bytes = n * (kind === 'f32' ? 4 : 8);
    const copy = new Uint8Array(bytes);
    copy.set(buffer.subarray(offset, offset + bytes));
    offset = align8(offset + bytes);
    return kind === 'f32' ? new Float32Array(copy.buffer) : new Float64Array(copy.buffer);
  });
  return { meta: header.meta, arrays };
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
