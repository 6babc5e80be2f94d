/** State shared by every page: the city as configured. */

import { DEFAULT_CITY, type City } from './city';

export const shared: { city: City } = $state({ city: DEFAULT_CITY });
