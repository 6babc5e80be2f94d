/**
 * Which channel this portal is: `app` when installed on the phone's home screen (the
 * manifest's `display: standalone`), `web` in a browser tab.
 *
 * The gateway never takes a channel the caller declares: it reads it from the bearer
 * token. An anonymous caller is `web`; an installed app registers itself as an app
 * installation (`POST /api/v1/devices/app`), signs in (`POST /api/v1/devices/login`)
 * and sends that device's token, which makes its filings `app` (see `api/device.ts`).
 */

export type Channel = 'web' | 'app';

export function currentChannel(): Channel {
  return typeof matchMedia === 'function' && matchMedia('(display-mode: standalone)').matches
    ? 'app'
    : 'web';
}
