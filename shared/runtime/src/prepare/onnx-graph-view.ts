import { payload, RawField, readFields, text, varint } from './raw-protobuf';

/**
 * A read-only view of an ONNX graph's structure (nodes, their inputs/outputs and subgraphs, initializer names,
 * value types) over the raw file bytes: enough to find a tensor and splice an output in, without decoding
 * weights. Field numbers are onnx.proto's.
 */
export const ONNX_FIELDS = {
  model: { graph: 7 },
  graph: { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  attribute: { name: 1, g: 6 },
  tensor: { dataType: 2, name: 8 },
  valueInfo: { name: 1, type: 2 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1 },
} as const;
const G = ONNX_FIELDS.graph;
const N = ONNX_FIELDS.node;

export interface BranchView {
  /** Index of the attribute in the node's fields, and of `g` in the attribute's. */
  attributeIndex: number;
  name: string;
  attribute: Uint8Array;
  attributeFields: RawField[];
  graphIndex: number;
  graph: GraphView;
}

export interface NodeView {
  /** Index of the node in its graph's fields. */
  fieldIndex: number;
  bytes: Uint8Array;
  fields: RawField[];
  opType: string;
  inputs: string[];
  outputs: string[];
  branches: BranchView[];
}

export interface GraphView {
  bytes: Uint8Array;
  fields: RawField[];
  nodes: NodeView[];
  producers: Map<string, NodeView>;
  inputs: string[];
  outputs: string[];
  /** Initializer name → its field (raw bytes reusable as is). */
  initializers: Map<string, RawField>;
  /** Element types known from value_info, inputs, outputs and initializers. */
  elemTypes: Map<string, number>;
  /** Raw ValueInfoProto bytes of inputs and outputs, by name. */
  valueInfos: Map<string, Uint8Array>;
}

function valueInfo(bytes: Uint8Array): { name: string; elemType?: number } {
  const fields = readFields(bytes);
  const name = fields.find((f) => f.field === ONNX_FIELDS.valueInfo.name);
  let elemType: number | undefined;
  const type = fields.find((f) => f.field === ONNX_FIELDS.valueInfo.type);
  if (type) {
    const typeBytes = payload(bytes, type);
    const tensor = readFields(typeBytes).find((f) => f.field === ONNX_FIELDS.type.tensorType);
    if (tensor) {
      const tensorBytes = payload(typeBytes, tensor);
      const elem = readFields(tensorBytes).find((f) => f.field === ONNX_FIELDS.tensorType.elemType);
      if (elem) elemType = varint(tensorBytes, elem);
    }
  }
  return { name: name ? text(bytes, name) : '', elemType };
}

function nodeView(bytes: Uint8Array, fieldIndex: number): NodeView {
  const fields = readFields(bytes);
  const node: NodeView = { fieldIndex, bytes, fields, opType: '', inputs: [], outputs: [], branches: [] };
  fields.forEach((f, i) => {
    if (f.field === N.input) node.inputs.push(text(bytes, f));
    else if (f.field === N.output) node.outputs.push(text(bytes, f));
    else if (f.field === N.opType) node.opType = text(bytes, f);
    else if (f.field === N.attribute) {
      const attribute = payload(bytes, f);
      const attributeFields = readFields(attribute);
      const graphIndex = attributeFields.findIndex((a) => a.field === ONNX_FIELDS.attribute.g);
      if (graphIndex < 0) return;
      const nameField = attributeFields.find((a) => a.field === ONNX_FIELDS.attribute.name);
      node.branches.push({
        attributeIndex: i,
        name: nameField ? text(attribute, nameField) : '',
        attribute,
        attributeFields,
        graphIndex,
        graph: graphView(payload(attribute, attributeFields[graphIndex])),
      });
    }
  });
  return node;
}

export function graphView(bytes: Uint8Array): GraphView {
  const fields = readFields(bytes);
  const view: GraphView = { bytes, fields, nodes: [], producers: new Map(), inputs: [], outputs: [], initializers: new Map(), elemTypes: new Map(), valueInfos: new Map() };
  fields.forEach((f, i) => {
    const data = payload(bytes, f);
    if (f.field === G.node) {
      const node = nodeView(data, i);
      view.nodes.push(node);
      for (const output of node.outputs) if (output) view.producers.set(output, node);
    } else if (f.field === G.initializer) {
      const tensorFields = readFields(data);
      const name = tensorFields.find((t) => t.field === ONNX_FIELDS.tensor.name);
      const dataType = tensorFields.find((t) => t.field === ONNX_FIELDS.tensor.dataType);
      if (name) {
        view.initializers.set(text(data, name), f);
        if (dataType) view.elemTypes.set(text(data, name), varint(data, dataType));
      }
    } else if (f.field === G.input || f.field === G.output || f.field === G.valueInfo) {
      const info = valueInfo(data);
      if (info.elemType !== undefined) view.elemTypes.set(info.name, info.elemType);
      if (f.field === G.input) view.inputs.push(info.name);
      if (f.field === G.output) view.outputs.push(info.name);
      if (f.field !== G.valueInfo) view.valueInfos.set(info.name, data);
    }
  });
  return view;
}

/** The graph field of a ModelProto, and its view. */
export function modelGraph(model: Uint8Array): { fields: RawField[]; graphIndex: number; graph: GraphView } {
  const fields = readFields(model);
  const graphIndex = fields.findIndex((f) => f.field === ONNX_FIELDS.model.graph);
  if (graphIndex < 0) throw new Error('the file has no graph (not an ONNX model?)');
  return { fields, graphIndex, graph: graphView(payload(model, fields[graphIndex])) };
}
