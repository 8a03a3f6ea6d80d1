import { z } from 'zod/v4';

export type JsonSchema = Record<string, unknown>;
export type SchemaIo = 'input' | 'output';

const COMPONENTS = '#/components/schemas/';

/**
 * Collects the JSON Schemas of many zod schemas into one `components.schemas` section: every schema with a
 * `.meta({ id })` becomes a named component (referenced as `#/components/schemas/<id>`), everything else is
 * inlined. A schema whose request (input: defaults optional) and response (output) forms differ gets two
 * components, `<id>` for the output and `<id>Input` for the input.
 */
export class SchemaComponents {
  /** `${id}\u0000${io}` → JSON with refs still pointing at `#/$defs/<id>`, to be named in components(). */
  private readonly raw = new Map<string, JsonSchema>();

  /** A `$ref` to the schema's component, or the schema inline when it has no id; refs inside are resolved later. */
  ref(schema: z.ZodType, io: SchemaIo): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
    delete json.$defs;
    for (const [id, def] of Object.entries(defs)) this.keep(id, io, def);
    if (typeof json.id === 'string') {
      this.keep(json.id, io, json);
      return { $ref: `#/$defs/${json.id}`, 'x-io': io };
    }
    return { ...json, 'x-io': io };
  }

  /** Rewrites a document fragment built from ref() results: `#/$defs/<id>` become component references. */
  resolve<T>(fragment: T): T {
    const names = this.names();
    return rewrite(fragment, 'output', names) as T;
  }

  /** The named components, sorted by name. */
  components(): Record<string, JsonSchema> {
    const names = this.names();
    const out: Record<string, JsonSchema> = {};
    for (const [key, json] of this.raw) out[names.get(key)!] = rewrite(json, key.split('\u0000')[1] as SchemaIo, names) as JsonSchema;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  private keep(id: string, io: SchemaIo, json: JsonSchema): void {
    const key = `${id}\u0000${io}`;
    const stripped = stripIds(json) as JsonSchema;
    const previous = this.raw.get(key);
    if (previous && JSON.stringify(previous) !== JSON.stringify(stripped)) throw new Error(`two different schemas carry the id "${id}"`);
    this.raw.set(key, stripped);
  }

  /** Component name per (id, io): the id, unless both forms exist and differ (then the input one is `<id>Input`). */
  private names(): Map<string, string> {
    const names = new Map<string, string>();
    for (const key of this.raw.keys()) names.set(key, key.split('\u0000')[0]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [key, json] of this.raw) {
        const [id, io] = key.split('\u0000');
        const other = this.raw.get(`${id}\u0000output`);
        if (io !== 'input' || !other || names.get(key) !== id) continue;
        const same = JSON.stringify(rewrite(json, 'input', names)) === JSON.stringify(rewrite(other, 'output', names));
        if (!same) {
          names.set(key, `${id}Input`);
          changed = true;
        }
      }
    }
    return names;
  }
}

function rewrite(value: unknown, io: SchemaIo, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, io, names));
  if (typeof value !== 'object' || value === null) return value;
  const object = value as Record<string, unknown>;
  const ownIo = (object['x-io'] as SchemaIo | undefined) ?? io;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (key === 'x-io') continue;
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#/$defs/')) {
      const id = child.slice('#/$defs/'.length);
      out.$ref = COMPONENTS + (names.get(`${id}\u0000${ownIo}`) ?? id);
    } else {
      out[key] = rewrite(child, ownIo, names);
    }
  }
  return out;
}

/** zod puts `.meta({ id })` into the schema as `id`, which JSON Schema 2020-12 does not know: the id is the component name. */
function stripIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripIds);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key !== 'id' || typeof child !== 'string') out[key] = stripIds(child);
  }
  return out;
}
