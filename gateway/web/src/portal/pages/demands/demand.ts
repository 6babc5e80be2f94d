/** The resident's demand pages' types. */

import type { Schemas } from '../../../lib/api/client';

export type Demand = Schemas['Demand'];
export type TimelineEntry = Schemas['TimelineEntry'];
