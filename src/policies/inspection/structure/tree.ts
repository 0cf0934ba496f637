/**
 * What the payload walks enter, and the one way they copy a payload when they must change it.
 *
 * A walk enters arrays and plain objects (prototype `Object.prototype` or `null`) — exactly what `JSON.parse` builds.
 * Everything else is a leaf: Buffers, ArrayBuffers and typed arrays (Socket.IO's binary attachments), and any other
 * object a transport might hand over. A leaf is neither walked nor copied.
 */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: object): value is PlainObject {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** An array or a plain object: something a walk enters. */
export function isContainer(value: unknown): value is unknown[] | PlainObject {
  return typeof value === 'object' && value !== null && (Array.isArray(value) || isPlainObject(value));
}

/**
 * Define an own, enumerable data property — `CreateDataProperty`, never `[[Set]]`. An assignment `copy[key] = v`
 * with the key `__proto__` would call the `Object.prototype.__proto__` setter and change the copy's prototype, and
 * with `Object.prototype` frozen (hardened runtimes) an assignment to a key such as `toString` throws. Defining the
 * property does neither.
 */
export function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** An empty object with the same prototype as `source` (`Object.prototype` or `null`). */
function emptyLike(source: PlainObject): PlainObject {
  return Object.getPrototypeOf(source) === null ? (Object.create(null) as PlainObject) : {};
}

/**
 * A shallow copy of a plain object: own enumerable string keys, in order, prototype kept. Spread defines properties
 * (never sets them), so an own `__proto__` key stays an own data property of the copy.
 */
export function shallowCopy(source: PlainObject): PlainObject {
  if (Object.getPrototypeOf(source) !== null) return { ...source };
  const copy = emptyLike(source);
  for (const key of Object.keys(source)) defineOwn(copy, key, source[key]);
  return copy;
}

/**
 * A deep copy of the containers of `payload` (leaves shared), with `mapString` applied to every string value and the
 * keys for which `dropKey` answers true left out. Iterative: an explicit stack, whatever the depth. Only called on the
 * rare path, after a walk found something to change; the input is never mutated.
 */
export function rebuild(
  payload: readonly unknown[],
  mapString: ((text: string) => string) | null,
  dropKey: ((key: string) => boolean) | null,
): unknown[] {
  const sources: (readonly unknown[] | PlainObject)[] = [payload];
  const targets: (unknown[] | PlainObject)[] = [];
  const root: unknown[] = [];
  targets.push(root);

  const copyOf = (value: unknown): unknown => {
    if (typeof value === 'string') return mapString === null ? value : mapString(value);
    if (!isContainer(value)) return value;
    const copy = Array.isArray(value) ? [] : emptyLike(value);
    sources.push(value);
    targets.push(copy);
    return copy;
  };

  for (;;) {
    const source = sources.pop();
    const target = targets.pop();
    if (source === undefined || target === undefined) break;
    if (Array.isArray(source)) {
      const list = target as unknown[];
      for (let i = 0; i < source.length; i++) list.push(copyOf(source[i]));
    } else {
      const object = source as PlainObject;
      for (const key of Object.keys(object)) {
        if (dropKey !== null && dropKey(key)) continue;
        defineOwn(target, key, copyOf(object[key]));
      }
    }
  }
  return root;
}
