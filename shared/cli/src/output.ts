/** Prints a result: JSON (one object, for scripts) or a readable rendering. */
export function print(value: unknown, json: boolean, human?: (value: any) => string) {
  if (json || !human) console.log(JSON.stringify(value, null, json ? 0 : 2));
  else console.log(human(value));
}

export function fail(message: string, json: boolean, code = 'BAD_REQUEST'): never {
  if (json) console.log(JSON.stringify({ error: { code, message } }));
  else console.error(`assay: ${message}`);
  process.exit(1);
}
