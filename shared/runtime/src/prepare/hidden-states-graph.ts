import { onnx } from 'onnx-proto';
import { GraphView, modelGraph, NodeView, ONNX_FIELDS } from './onnx-graph-view';
import { concat, lengthDelimited, rewrite } from './raw-protobuf';

/**
 * Finds the final-norm hidden state of a decoder export (the tensor its LM head reads) and splices it in as
 * an extra graph output. Works on Optimum and transformers.js exports alike: a plain graph, or a merged
 * decoder whose work happens inside the two branches of an `If` (the state is exposed from both).
 */
const HEAD_OPS = new Set(['MatMul', 'Gemm', 'MatMulNBits', 'MatMulBnb4', 'FusedMatMul']);
const PASS_THROUGH = new Set(['Cast', 'Identity']);
/** What may produce a final-norm output: decomposed RMSNorm/LayerNorm end in Mul or Add; fused ones are ops. */
const NORM_OPS = new Set(['Mul', 'Add', 'Div', 'LayerNormalization', 'SimplifiedLayerNormalization', 'SkipSimplifiedLayerNormalization', 'SkipLayerNormalization', 'RMSNormalization']);

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

export interface HeadLocation {
  /** The graph (or If branch) computing the logits, and the graphs around it (outer scopes), innermost last. */
  graph: GraphView;
  outer: GraphView[];
  /** The LM head's input: the final-norm hidden state. */
  hidden: string;
  /** The logits value in `graph`. */
  logits: string;
  /** The op producing `hidden` (a norm). */
  producedBy: string;
  /** The node on the head's path that reads `hidden`, and at which input. */
  reader: NodeView;
  readerInput: number;
  /** Its element type where the file records it. */
  elemType?: number;
}

export interface HiddenStatesPlan {
  modelFields: ReturnType<typeof modelGraph>['fields'];
  graphIndex: number;
  graph: GraphView;
  /** One head, or one per branch of the If that produces the logits. */
  heads: HeadLocation[];
  ifNode?: NodeView;
}

class Scope {
  private readonly constants = new Map<string, boolean>();

  constructor(
    readonly graph: GraphView,
    readonly outer: GraphView[],
  ) {}

  get all(): GraphView[] {
    return [...this.outer, this.graph];
  }

  producer(name: string): NodeView | undefined {
    for (const g of [this.graph, ...[...this.outer].reverse()]) {
      const node = g.producers.get(name);
      if (node) return node;
    }
    return undefined;
  }

  initializer(name: string): { graph: GraphView; field: GraphView['fields'][number] } | undefined {
    for (const g of [this.graph, ...[...this.outer].reverse()]) {
      const field = g.initializers.get(name);
      if (field) return { graph: g, field };
    }
    return undefined;
  }

  /** Computable from initializers alone (weights and what is derived from them, e.g. a transposed tied embedding). */
  isConstant(name: string): boolean {
    const known = this.constants.get(name);
    if (known !== undefined) return known;
    this.constants.set(name, false);
    const node = this.producer(name);
    const constant = this.initializer(name) !== undefined || (node !== undefined && (node.opType === 'Constant' || node.inputs.filter(Boolean).every((i) => this.isConstant(i))));
    this.constants.set(name, constant);
    return constant;
  }

  elemType(name: string): number | undefined {
    for (const g of [this.graph, ...this.outer]) {
      const type = g.elemTypes.get(name);
      if (type !== undefined) return type;
    }
    return undefined;
  }
}

interface HeadInput {
  hidden: string;
  reader: NodeView;
  readerInput: number;
}

/** Back from a node's input through casts to the tensor itself, remembering which node reads it. */
function peel(scope: Scope, reader: NodeView, readerInput: number): HeadInput {
  let current = { hidden: reader.inputs[readerInput], reader, readerInput };
  for (let node = scope.producer(current.hidden); node && PASS_THROUGH.has(node.opType); node = scope.producer(current.hidden)) {
    current = { hidden: node.inputs[0], reader: node, readerInput: 0 };
  }
  return current;
}

/** The activation input of the matrix product that makes `logits` (through casts, biases, rescales, soft-caps). */
function headInput(scope: Scope, name: string, depth = 0): HeadInput | undefined {
  const node = scope.producer(name);
  if (!node || depth > 16) return undefined;
  if (HEAD_OPS.has(node.opType) && !scope.isConstant(node.inputs[0])) return peel(scope, node, 0);
  if (node.opType === 'MatMulInteger') {
    const quantize = scope.producer(node.inputs[0]);
    if (quantize?.opType === 'DynamicQuantizeLinear') return peel(scope, quantize, 0);
  }
  for (const input of node.inputs) {
    if (!input || scope.isConstant(input)) continue;
    const found = headInput(scope, input, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function locateIn(scope: Scope, logits: string): HeadLocation {
  const found = headInput(scope, logits);
  if (!found) throw new Error(`no matrix product (the LM head) found upstream of "${logits}"`);
  const { hidden, reader, readerInput } = found;
  const producer = scope.producer(hidden);
  if (!producer) throw new Error(`the LM head reads "${hidden}", a graph input, not a hidden state`);
  if (!NORM_OPS.has(producer.opType)) throw new Error(`the LM head reads "${hidden}", produced by ${producer.opType}, which is not a normalization`);
  if (!inGraph(scope, reader)) throw new Error(`the LM head's reader of "${hidden}" is outside its graph`);
  return { graph: scope.graph, outer: scope.outer, hidden, logits, producedBy: producer.opType, reader, readerInput, elemType: scope.elemType(hidden) };
}

function inGraph(scope: Scope, node: NodeView): boolean {
  return scope.graph.nodes.includes(node);
}

export function planHiddenStates(model: Uint8Array, logits = 'logits'): HiddenStatesPlan {
  const { fields, graphIndex, graph } = modelGraph(model);
  if (!graph.outputs.includes(logits)) throw new Error(`the graph has no "${logits}" output`);
  const producer = graph.producers.get(logits);
  if (producer?.opType === 'If') {
    const position = producer.outputs.indexOf(logits);
    const heads = producer.branches.map((branch) => locateIn(new Scope(branch.graph, [graph]), branch.graph.outputs[position]));
    return { modelFields: fields, graphIndex, graph, heads, ifNode: producer };
  }
  return { modelFields: fields, graphIndex, graph, heads: [locateIn(new Scope(graph, []), logits)] };
}

export function tensorValueInfo(name: string, elemType: number, dims: (number | string)[]): Uint8Array {
  return onnx.ValueInfoProto.encode({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  }).finish();
}

const G = ONNX_FIELDS.graph;

/** The model with `outputName` [batch_size, sequence_length, hiddenSize] added (an Identity of the head's input). */
export function addHiddenStatesOutput(model: Uint8Array, plan: HiddenStatesPlan, elemType: number, hiddenSize: number, outputName: string): Uint8Array {
  const dims = ['batch_size', 'sequence_length', hiddenSize];
  const { graph } = plan;
  let graphBytes: Uint8Array;
  if (!plan.ifNode) {
    const identity = onnx.NodeProto.encode({ name: 'assay/hidden_states', opType: 'Identity', domain: '', input: [plan.heads[0].hidden], output: [outputName] }).finish();
    graphBytes = rewrite(graph.bytes, graph.fields, new Map(), [lengthDelimited(G.node, identity), lengthDelimited(G.output, tensorValueInfo(outputName, elemType, dims))]);
  } else {
    const node = plan.ifNode;
    const replaced = new Map<number, Uint8Array>();
    node.branches.forEach((branch, i) => {
      const head = plan.heads[i];
      const branchGraph = rewrite(branch.graph.bytes, branch.graph.fields, new Map(), [lengthDelimited(G.output, tensorValueInfo(head.hidden, elemType, dims))]);
      const attribute = rewrite(branch.attribute, branch.attributeFields, new Map([[branch.graphIndex, lengthDelimited(ONNX_FIELDS.attribute.g, branchGraph)]]));
      replaced.set(branch.attributeIndex, lengthDelimited(ONNX_FIELDS.node.attribute, attribute));
    });
    const ifNode = rewrite(node.bytes, node.fields, replaced, [lengthDelimited(ONNX_FIELDS.node.output, outputName)]);
    graphBytes = rewrite(graph.bytes, graph.fields, new Map([[node.fieldIndex, lengthDelimited(G.node, ifNode)]]), [lengthDelimited(G.output, tensorValueInfo(outputName, elemType, dims))]);
  }
  return rewrite(model, plan.modelFields, new Map([[plan.graphIndex, lengthDelimited(ONNX_FIELDS.model.graph, graphBytes)]]));
}

/**
 * A model holding only the LM head: input the hidden state, output the logits, the same nodes and weights
 * (external weights keep their paths: write it beside the original). Feeding it the new output must give
 * back the model's own logits: the check that the exposed tensor is what the head reads.
 */
export function headSubModel(model: Uint8Array, plan: HiddenStatesPlan, head: HeadLocation, elemType: number, hiddenSize: number): { bytes: Uint8Array; input: string; output: string } {
  const scope = new Scope(head.graph, head.outer);
  const nodes = new Set<NodeView>();
  const initializers = new Map<string, Uint8Array>();
  const extraInputs = new Map<string, Uint8Array>();
  const visit = (name: string): void => {
    if (!name || name === head.hidden) return;
    const init = scope.initializer(name);
    if (init) {
      initializers.set(name, init.graph.bytes.subarray(init.field.start, init.field.end));
      return;
    }
    const node = scope.producer(name);
    if (!node) {
      const info = scope.all.map((g) => g.valueInfos.get(name)).find(Boolean);
      if (!info) throw new Error(`the LM head needs "${name}", which nothing defines`);
      extraInputs.set(name, info);
      return;
    }
    if (nodes.has(node)) return;
    nodes.add(node);
    node.inputs.forEach(visit);
  };
  visit(head.logits);
  const ordered = scope.all.flatMap((g) => g.nodes.filter((n) => nodes.has(n)));
  const outputInfo = head.graph.valueInfos.get(head.logits);
  if (!outputInfo) throw new Error(`no type information for "${head.logits}"`);
  const graph = concat([
    ...ordered.map((n) => lengthDelimited(G.node, n.bytes)),
    lengthDelimited(2, 'assay-head-check'),
    ...initializers.values(),
    lengthDelimited(G.input, tensorValueInfo(head.hidden, elemType, ['batch_size', 'sequence_length', hiddenSize])),
    ...[...extraInputs.values()].map((info) => lengthDelimited(G.input, info)),
    lengthDelimited(G.output, outputInfo),
  ]);
  return { bytes: rewrite(model, plan.modelFields, new Map([[plan.graphIndex, lengthDelimited(ONNX_FIELDS.model.graph, graph)]])), input: head.hidden, output: head.logits };
}

