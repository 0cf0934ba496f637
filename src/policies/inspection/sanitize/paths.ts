/**
 * Field paths for the sanitizer, compiled once into a small tree.
 *
 * A path names a field of the message's first argument: `body`, `post.body`, `items[].text` (`[]`: every element of
 * the array `items`), `[].text` (the first argument is itself an array). Keys are separated by `.`; a key may hold any
 * character but `.`, `[` and `]`. Paths are configuration, so they are checked at startup: an empty segment, a
 * malformed `[]`, more than 16 segments, or a key that could reach a prototype (`__proto__`, `constructor`,
 * `prototype`) is an error.
 */

export type FieldAction = 'html' | 'text';

export interface PathNode {
  /** What to do with a string found here. */
  action: FieldAction | null;
  /** Named children: `[key, node]` pairs, walked with a plain loop. */
  readonly children: [string, PathNode][];
  /** The node for every element, when this field is an array (`[]`). */
  each: PathNode | null;
}

export const MAX_PATH_SEGMENTS = 16;

function newNode(): PathNode {
  return { action: null, children: [], each: null };
}

interface Step {
  readonly key: string | null; // null: the first argument itself
  readonly each: boolean;
}

function parsePath(path: string): Step[] {
  if (typeof path !== 'string' || path === '') throw new TypeError(`sanitize path ${JSON.stringify(path)}: empty`);
  const steps: Step[] = [];
  const parts = path.split('.');
  parts.forEach((part, position) => {
    const match = /^([^.[\]]*)(\[\])?$/.exec(part);
    const key = match?.[1];
    if (match === null || key === undefined) throw new TypeError(`sanitize path ${JSON.stringify(path)}: bad segment ${JSON.stringify(part)}`);
    const each = match[2] !== undefined;
    if (key === '') {
      // Only `[]` at the very start may have no key: the first argument is an array.
      if (!(position === 0 && each)) throw new TypeError(`sanitize path ${JSON.stringify(path)}: empty segment`);
      steps.push({ key: null, each });
      return;
    }
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new TypeError(`sanitize path ${JSON.stringify(path)}: ${key} is not a field name`);
    }
    steps.push({ key, each });
  });
  if (steps.length > MAX_PATH_SEGMENTS) {
    throw new TypeError(`sanitize path ${JSON.stringify(path)}: more than ${MAX_PATH_SEGMENTS} segments`);
  }
  return steps;
}

/** Build one tree from every path; the root stands for the message's first argument. */
export function compilePaths(html: readonly string[], text: readonly string[]): PathNode | null {
  if (html.length === 0 && text.length === 0) return null;
  const root = newNode();
  const add = (path: string, action: FieldAction): void => {
    let node = root;
    for (const step of parsePath(path)) {
      if (step.key !== null) {
        let child = node.children.find(([key]) => key === step.key)?.[1];
        if (child === undefined) {
          child = newNode();
          node.children.push([step.key, child]);
        }
        node = child;
      }
      if (step.each) node = node.each ??= newNode();
    }
    if (node.action !== null && node.action !== action) {
      throw new TypeError(`sanitize path ${JSON.stringify(path)} is listed both as html and as text`);
    }
    node.action = action;
  };
  for (const path of html) add(path, 'html');
  for (const path of text) add(path, 'text');
  return root;
}
