import { float16ToFloat32 } from '@assay/stats';
import { FloatType, StoredTensor } from './model-runner';

/** The values of a float output as float32 (float16 bits are decoded; float32 is returned as is). */
export function asFloat32(tensor: StoredTensor): Float32Array {
  return tensor.type === 'float32' ? tensor.data : float16ToFloat32(tensor.data);
}

/** A zero-filled tensor of the graph's float type (an empty cache, padding rows). */
export function zeroTensor(type: FloatType, dims: number[]): StoredTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return type === 'float32' ? { type, data: new Float32Array(size), dims } : { type, data: new Uint16Array(size), dims };
}
