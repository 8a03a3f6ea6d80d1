// Jest environment for specs that run onnxruntime-node.
// Jest gives each test file its own vm realm, but the native binding builds output tensors from the
// host realm's typed arrays; onnxruntime-common then rejects them ("A float32 tensor's data must be
// type of function Float32Array"). Sharing the host's typed-array constructors makes both agree.
// Use with a docblock at the top of the spec:  /** @jest-environment ./shared/forge/test/ort-environment.js */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
