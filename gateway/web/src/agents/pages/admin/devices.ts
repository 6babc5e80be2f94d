/** What the devices' list and a device's page share: where a device is set up, its state, revoking it. */

import { moment } from '../../../lib/format';
import { staff, type Schemas } from '../../api';
import { attempt, type Outcome } from '../../form.svelte';

export type Device = Schemas['Device'];

/**
 * The address to open once on the device: the kiosk's screen for a kiosk, the intranet
 * for a counter or phone workstation. Both take the credentials off the address bar.
 */
export function setupAddress(kind: string, id: string, secret: string): string {
  const path = kind === 'kiosk' ? '/borne/' : '/agents/';
  return `${window.location.origin}${path}?appareil=${encodeURIComponent(id)}&secret=${encodeURIComponent(secret)}`;
}

export function deviceState(device: Device): string {
  return device.revoked_at ? `Révoqué le ${moment(device.revoked_at)}` : 'En service';
}

export function revokeDevice(id: string): Promise<Outcome<Device>> {
  return attempt(() => staff.DELETE('/api/v1/admin/devices/{id}', { params: { path: { id } } }));
}
