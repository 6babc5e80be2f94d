/**
 * What the kiosk knows of itself, shared by its screens: whether it is set up, where it
 * stands (`GET /api/v1/devices/me`), and how long it waits before clearing everything.
 * None of it is a resident's: it survives the inactivity reset.
 */

import { api, type Schemas } from '../lib/api/client';
import { refused, setup } from './device';

export type Device = Schemas['Device'];

class Kiosk {
  /** Set up with credentials (not necessarily accepted yet). */
  configured = $state(setup() !== null);
  /** The gateway refused the credentials: an agent must set the kiosk up again. */
  refused = $state(false);
  me: Device | null = $state(null);
  /** The device was read: `me` is final (null when it could not be). */
  known = $state(false);

  /** The kiosk's position, when the administrator gave one. */
  position = $derived(
    this.me?.latitude != null && this.me.longitude != null
      ? { lat: this.me.latitude, lon: this.me.longitude }
      : null,
  );

  async load(): Promise<void> {
    this.configured = setup() !== null;
    if (!this.configured) {
      this.known = true;
      return;
    }
    try {
      const { data } = await api.GET('/api/v1/devices/me');
      this.me = data ?? null;
    } catch {
      this.me = null;
    } finally {
      this.refused = refused.value;
      this.known = true;
    }
  }

  /** Seconds without a touch before the reset: the setup's trial value, else the city's. */
  idleSeconds(city: number): number {
    return setup()?.idle_seconds ?? city;
  }
}

export const kiosk = new Kiosk();
