/**
 * Paths into a payload for refusal details (`[0].items[3].text`), built so that they never echo the payload.
 *
 * A key is client data: it can be a megabyte long, carry markup, or be a secret someone pasted. A key is shown only
 * when it looks like an identifier of at most 32 characters; any other key becomes `[?]`. Array indices are numbers
 * and are shown as they are. A path stops after 12 segments with `…`, so a payload nested 100,000 deep still yields a
 * short path.
 */

const SAFE_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]{0,31}$/;
export const MAX_PATH_SEGMENTS = 12;
const ELLIPSIS = '…';

/** Append one segment to a path (`''` is the root). Numbers become `[n]`; unsafe keys `[?]`. */
export function appendSegment(path: string, segment: PropertyKey): string {
  if (typeof segment === 'number') return Number.isSafeInteger(segment) && segment >= 0 ? `${path}[${segment}]` : `${path}[?]`;
  if (typeof segment === 'string' && SAFE_KEY.test(segment)) return path === '' ? segment : `${path}.${segment}`;
  return `${path}[?]`;
}

/** Format a whole list of segments, cut after {@link MAX_PATH_SEGMENTS}. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  const count = Math.min(segments.length, MAX_PATH_SEGMENTS);
  for (let i = 0; i < count; i++) path = appendSegment(path, segments[i] as PropertyKey);
  return segments.length > MAX_PATH_SEGMENTS ? path + ELLIPSIS : path;
}

export { ELLIPSIS };
