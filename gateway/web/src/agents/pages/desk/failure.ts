/**
 * A refused filing as the desk's forms show it: each fault next to its field, the rest
 * (and the problem's own words when nothing could be placed) at the top.
 */

import { placeFields, type Failure } from '../../../lib/api/problem';

export interface Shown {
  errors: Record<string, string>;
  general: string[];
}

/** `map`: API field path → control id (the longest prefix wins). */
export function showFailure(failure: Failure, map: Record<string, string>): Shown {
  const { byField, unplaced } = placeFields(failure.fields, map);
  const general = Object.keys(byField).length === 0 || unplaced.length > 0 ? [...unplaced, failure.message] : [];
  return { errors: byField, general };
}

