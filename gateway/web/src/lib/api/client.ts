/**
 * The one API client. Every call is typed from the OpenAPI document the gateway
 * publishes (`schema.d.ts`, generated at build time), so a change of contract that
 * breaks a screen breaks `svelte-check`.
 */

import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { currentChannel } from '../channel';
import { deviceToken, forgetDeviceSession } from './device';
import { session } from '../session.svelte';

export type Schemas = components['schemas'];

/** Same origin: the gateway serves both the portal and the API. */
export const api = createClient<paths>({ baseUrl: '' });

/** The installed app calls as its registered device, so its filings say `app`. */
const asDevice: Middleware = {
  async onRequest({ request }) {
    if (currentChannel() !== 'app' || request.headers.has('Authorization')) return request;
    const token = await deviceToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A refused device token is dropped; the next call signs in again.
    if (response.status === 401 && request.headers.has('Authorization')) forgetDeviceSession();
    return response;
  },
};

/**
 * A signed-in resident calls as themselves (their session carries its channel: an
 * installed app signs residents in with its device token, so theirs say `app` too).
 */
const asResident: Middleware = {
  async onRequest({ request }) {
    if (request.headers.has('Authorization')) return request;
    const token = await session.token();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // The session ended elsewhere (logout, password reset, erasure): sign out here.
    if (response.status === 401 && request.headers.has('Authorization')) session.forget();
    return response;
  },
};

// The resident's token first; an anonymous call from the installed app goes as the device.
api.use(asResident);
api.use(asDevice);
