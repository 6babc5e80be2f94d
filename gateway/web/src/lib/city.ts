/**
 * The city's look and contact details, read at start-up from `GET /api/v1/city`, so
 * one build serves any city: name, logo, colours, contact, map settings.
 */

import { api, type Schemas } from './api/client';

/**
 * The city as the screens use it: the API's `City` (whose fields all have server-side
 * defaults, hence optional in the generated type) with every field filled in.
 */
export interface City {
  name: string;
  logo_url: string | null;
  colors: Required<Schemas['Colors']>;
  contact: Required<Schemas['CityContact']>;
  /** `tile_url` null: no tile server (tests, offline); the map still takes a pin. */
  map: Required<Schemas['MapSettings']>;
  kiosk_idle_seconds: number;
}

/**
 * What is shown until the city answers, or if it cannot: neutral wording and colours
 * that pass WCAG AA contrast (primary on white and white on primary 10.2:1).
 */
export const DEFAULT_CITY: City = {
  name: 'Guichet de la ville',
  logo_url: null,
  colors: { primary: '#7a1f2b', on_primary: '#ffffff', accent: '#f2b705' },
  contact: { phone: '', email: null, address: '' },
  map: {
    tile_url: null,
    attribution: '',
    center: { lat: 43.53, lon: 5.4478 },
    zoom: 14,
  },
  kiosk_idle_seconds: 120,
};

const HEX = /^#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?$/;

/** Reads the city; any failure keeps the defaults (the portal must still open). */
export async function loadCity(): Promise<City> {
  try {
    const { data: city } = await api.GET('/api/v1/city');
    if (!city) return DEFAULT_CITY;
    return {
      name: city.name ?? DEFAULT_CITY.name,
      logo_url: city.logo_url ?? null,
      kiosk_idle_seconds: city.kiosk_idle_seconds ?? DEFAULT_CITY.kiosk_idle_seconds,
      colors: { ...DEFAULT_CITY.colors, ...city.colors },
      contact: { ...DEFAULT_CITY.contact, ...city.contact },
      map: { ...DEFAULT_CITY.map, ...city.map },
    };
  } catch {
    return DEFAULT_CITY;
  }
}

/**
 * Sets the city's colours as CSS custom properties on `<html>`; the stylesheet reads
 * only those. A value that is not a hex colour is ignored rather than injected.
 */
export function applyColors(city: City): void {
  const style = document.documentElement.style;
  const set = (name: string, value: string, fallback: string) =>
    style.setProperty(name, HEX.test(value) ? value : fallback);
  set('--primary', city.colors.primary, DEFAULT_CITY.colors.primary);
  set('--on-primary', city.colors.on_primary, DEFAULT_CITY.colors.on_primary);
  set('--accent', city.colors.accent, DEFAULT_CITY.colors.accent);
}
