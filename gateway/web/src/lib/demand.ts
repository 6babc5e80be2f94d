/** Looking a demand up by its tracking number, as anyone holding it may. */

import { api, type Schemas } from './api/client';
import { failureOf, networkFailure, type Failure } from './api/problem';

export type Demand = Schemas['Demand'];

export type Lookup =
  | { demand: Demand }
  /** `field`: the number's fault (bad format, unknown), shown next to it; else `page`. */
  | { field: string; page?: undefined; failure: Failure }
  | { page: string; field?: undefined; failure: Failure };

const UNKNOWN =
  'Aucune demande ne correspond à ce numéro. Vérifiez chaque caractère : le numéro figure dans le message reçu au dépôt.';

export async function lookUp(number: string): Promise<Lookup> {
  let failure: Failure;
  try {
    const { data, error, response } = await api.GET('/api/v1/demands/{tracking_number}', {
      params: { path: { tracking_number: number } },
    });
    if (data) return { demand: data };
    failure = failureOf(error, response);
  } catch {
    failure = networkFailure();
  }
  if (failure.status === 400)
    return {
      failure,
      field: failure.fields['tracking_number'] ?? "Ce numéro de suivi n'est pas valide : vérifiez chaque caractère.",
    };
  // The API answers an unknown number and one not open to this caller the same way.
  if (failure.status === 404) return { failure, field: UNKNOWN };
  return { failure, page: failure.message };
}
