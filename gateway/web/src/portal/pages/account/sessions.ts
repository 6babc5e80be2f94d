/**
 * The resident's open sessions (`GET /api/v1/me/sessions`, most recently used first)
 * and ending one (`DELETE /api/v1/me/sessions/{id}`).
 */

import { api, type Schemas } from '../../../lib/api/client';

export type OpenSession = Schemas['ResidentSession'];

export function listSessions() {
  return api.GET('/api/v1/me/sessions');
}

export function endSession(id: string) {
  return api.DELETE('/api/v1/me/sessions/{id}', { params: { path: { id } } });
}
