import { onnx } from 'onnx-proto';
import { HeadLocation, planHiddenStates, tensorValueInfo } from './hidden-states-graph';
import { GraphView, NodeView, ONNX_FIELDS } from './onnx-graph-view';
import { concat, lengthDelimited, payload, readFields, rewrite, varint } from './raw-protobuf';

/**
 * An in-memory rewrite of a decoder graph for serving: a new input `assay_logits_from` (int64 scalar) cuts the
 * hidden states to positions ≥ from before the LM head, so a prefill computes (and copies out) the logits of the
 * last position only, instead of [batch, prompt length, vocabulary] floats — what transformers'
 * `logits_to_keep` does inside the model. The file on disk is never changed; fed 0, the graph computes exactly
 * what it did.
 */
export const LOGITS_FROM_INPUT = 'assay_logits_from';

const G = ONNX_FIELDS.graph;
const INT64 = onnx.TensorProto.DataType.INT64;

function int64Constant(output: string, values: number[]): Uint8Array {
  const t = { name: output, dataType: INT64, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
  return lengthDelimited(G.node, onnx.NodeProto.encode({ opType: 'Constant', domain: '', name: output, output: [output], attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] }).finish());
}

function node(opType: string, inputs: string[], output: string): Uint8Array {
  return lengthDelimited(G.node, onnx.NodeProto.encode({ opType, domain: '', name: output, input: inputs, output: [output] }).finish());
}

/** The node with its `index`-th input renamed. */
function renameInput(reader: NodeView, index: number, name: string): Uint8Array {
  let seen = -1;
  const at = reader.fields.findIndex((f) => f.field === ONNX_FIELDS.node.input && ++seen === index);
  return rewrite(reader.bytes, reader.fields, new Map([[at, lengthDelimited(ONNX_FIELDS.node.input, name)]]));
}

/** `graph` with the hidden state sliced right after it is made, and the head reading the slice. */
function sliceBeforeHead(graph: GraphView, head: HeadLocation, appended: Uint8Array[] = []): Uint8Array {
  const producer = graph.producers.get(head.hidden);
  if (!producer || !graph.nodes.includes(producer)) throw new Error(`"${head.hidden}" is not made in its head's graph`);
  const base = `${head.hidden}/assay_logits_window`;
  const inserted = concat([
    graph.bytes.subarray(graph.fields[producer.fieldIndex].start, graph.fields[producer.fieldIndex].end),
    int64Constant(`${base}/shape`, [1]),
    int64Constant(`${base}/ends`, [Number.MAX_SAFE_INTEGER]),
    int64Constant(`${base}/axes`, [1]),
    node('Reshape', [LOGITS_FROM_INPUT, `${base}/shape`], `${base}/starts`),
    node('Slice', [head.hidden, `${base}/starts`, `${base}/ends`, `${base}/axes`], base),
  ]);
  const replaced = new Map<number, Uint8Array>([
    [producer.fieldIndex, inserted],
    [head.reader.fieldIndex, lengthDelimited(G.node, renameInput(head.reader, head.readerInput, base))],
  ]);
  return rewrite(graph.bytes, graph.fields, replaced, appended);
}

function hasExternalData(graph: GraphView): boolean {
  for (const field of graph.initializers.values()) {
    const tensor = payload(graph.bytes, field);
    const location = readFields(tensor).find((f) => f.field === 14);
    if (location && varint(tensor, location) === 1) return true;
  }
  return false;
}

/**
 * The model with the `assay_logits_from` input, or undefined when it cannot (or need not) be rewritten: no LM
 * head found, weights in external files (a rewritten graph loaded from memory could not find them), a
 * dynamically quantized head, or the input is there already.
 */
export function withLogitsWindow(model: Uint8Array): Uint8Array | undefined {
  let plan: ReturnType<typeof planHiddenStates>;
  try {
    plan = planHiddenStates(model);
  } catch {
    return undefined;
  }
  const { graph } = plan;
  if (graph.inputs.includes(LOGITS_FROM_INPUT) || hasExternalData(graph)) return undefined;
  // A dynamically quantized head scales its input by the whole tensor's range: cutting rows would change the
  // kept rows' logits, so such graphs are served as they are.
  if (plan.heads.some((h) => h.reader.opType === 'DynamicQuantizeLinear')) return undefined;
  // A required input (an initializer default would hide it from onnxruntime's input list): the runtime feeds it.
  const declared = [lengthDelimited(G.input, tensorValueInfo(LOGITS_FROM_INPUT, INT64, []))];
  let graphBytes: Uint8Array;
  if (!plan.ifNode) {
    graphBytes = sliceBeforeHead(graph, plan.heads[0], declared);
  } else {
    const ifNode = plan.ifNode;
    const replaced = new Map<number, Uint8Array>();
    ifNode.branches.forEach((branch, i) => {
      const attribute = rewrite(branch.attribute, branch.attributeFields, new Map([[branch.graphIndex, lengthDelimited(ONNX_FIELDS.attribute.g, sliceBeforeHead(branch.graph, plan.heads[i]))]]));
      replaced.set(branch.attributeIndex, lengthDelimited(ONNX_FIELDS.node.attribute, attribute));
    });
    graphBytes = rewrite(graph.bytes, graph.fields, new Map([[ifNode.fieldIndex, lengthDelimited(G.node, rewrite(ifNode.bytes, ifNode.fields, replaced))]]), declared);
  }
  return rewrite(model, plan.modelFields, new Map([[plan.graphIndex, lengthDelimited(ONNX_FIELDS.model.graph, graphBytes)]]));
}
