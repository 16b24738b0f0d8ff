// How the checks talk: describe() names a value in a message, readOptions() reads an options
// object once into a record of our own (getters and proxies run once, before any check).
import { WASM_ARRAY_BRAND, typedArrayLength, typedArrayName } from "./views.js";

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  // Typed arrays are named from their internal slots: a getter or another realm cannot lie.
  const typed = typedArrayName(value);
  if (typed !== undefined) return `a ${typed} of length ${typedArrayLength(value)}`;
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value)}`;
    case "number":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "object":
      if (WASM_ARRAY_BRAND in value) return "a WasmArray (pass its .array)";
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
    default:
      return String(value);
  }
}

const NO_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Reads an options object once: rejects anything but a plain object, refuses unknown keys
 * (typos), then reads each of its own enumerable keys exactly once into a record of our own. Getters and
 * proxies run once, before any check, so nothing the caller runs can change an option after it
 * was checked (a getter that resizes a buffer, or swaps `out`, between the check and the copy).
 */
export function readOptions<K extends string>(
  fn: string,
  options: unknown,
  known: readonly K[],
): Readonly<Partial<Record<K, unknown>>> {
  if (options === undefined) return NO_OPTIONS as Readonly<Partial<Record<K, unknown>>>;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  // A plain object (of any realm) or one without a prototype: keys inherited from a prototype of
  // the caller's (an Object.create typo) would be read but never checked, and a Map, a Date or a
  // class instance is not an options bag.
  const proto = Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null && Object.getPrototypeOf(proto) !== null) {
    throw new TypeError(`${fn}: options must be a plain object ({ … }), got ${describe(options)}`);
  }
  const keys = Object.keys(options);
  for (const key of keys) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${fn}: unknown option "${key}" (known options: ${known.join(", ")})`);
    }
  }
  // Only the caller's own enumerable keys are read (as an object spread reads them), each once.
  const record: Partial<Record<K, unknown>> = {};
  for (const key of keys) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) record[key as K] = value;
  }
  return record;
}
