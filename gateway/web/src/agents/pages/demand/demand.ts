/**
 * What the demand page's parts share: the agent's wording of statuses, sub-statuses,
 * authors and deliveries; the files fetched with the agent's token; euros typed by hand.
 */

import { statusLabel } from '../../../lib/format';
export { isFinal } from '../../../lib/format';
import { failureOf, networkFailure, type Failure } from '../../../lib/api/problem';
import { staff, type Schemas } from '../../api';

export type Demand = Schemas['Demand'];
export type Piece = Schemas['DossierPiece'];

/** `statusLabel` speaks to the resident ("votre réponse"); agents read who is awaited. */
export function agentStatus(status: string): string {
  return status === 'awaiting_resident' ? "En attente de l'usager" : statusLabel(status);
}

/** A sub-status a teleservice's version declares (`definition.sub_statuses`). */
export interface SubStatus {
  code: string;
  label: string;
  status: string;
}

/** Complaints' FixMyStreet sub-statuses (docs/complaints.md), the default first. */
export const COMPLAINT_SUB_STATUSES: SubStatus[] = [
  { status: 'received', code: 'investigating', label: "En cours d'examen" },
  { status: 'in_progress', code: 'in_progress', label: 'Intervention en cours' },
  { status: 'in_progress', code: 'planned', label: 'Intervention programmée' },
  { status: 'resolved', code: 'fixed', label: 'Réparé' },
  { status: 'rejected', code: 'not_responsible', label: 'Ne relève pas de la ville' },
  { status: 'closed', code: 'unable_to_fix', label: 'Impossible à traiter' },
  { status: 'closed', code: 'duplicate', label: 'Doublon' },
  { status: 'closed', code: 'not_responsible', label: 'Ne relève pas de la ville' },
];

/** The sub-statuses of `status` for this demand: the complaints' own, or a teleservice's. */
export function subStatusesOf(kind: string, status: string, declared: SubStatus[]): SubStatus[] {
  const all = kind === 'complaint' ? COMPLAINT_SUB_STATUSES : kind === 'teleservice' ? declared : [];
  return all.filter((s) => s.status === status);
}

/** A sub-status in words; an unknown code is shown as is. */
export function subStatusLabel(kind: string, status: string, code: string | undefined, declared: SubStatus[]): string {
  if (!code) return '';
  return subStatusesOf(kind, status, declared).find((s) => s.code === code)?.label ?? code;
}

/** The sub-statuses a teleservice's definition declares, read defensively (free JSON). */
export function declaredSubStatuses(definition: unknown): SubStatus[] {
  const list = (definition as { sub_statuses?: unknown } | null)?.sub_statuses;
  if (!Array.isArray(list)) return [];
  return list.flatMap((s: unknown) => {
    const { code, label, status } = (s ?? {}) as Record<string, unknown>;
    return typeof code === 'string' && typeof status === 'string'
      ? [{ code, status, label: typeof label === 'string' && label ? label : code }]
      : [];
  });
}

/** Who wrote a timeline entry, as an agent reads it (the resident's name included). */
export function authorWords(author: Schemas['Author']): string {
  const name = author.name?.trim();
  if (author.role === 'resident') return name ? `Usager (${name})` : 'Usager';
  if (author.role === 'agent') return name ? `Agent : ${name}` : 'Agent';
  return 'Le guichet (automatique)';
}

const DELIVERY_CHANNEL: Record<string, string> = { email: 'E-mail', sms: 'SMS', app: 'Application' };

export function deliveryChannel(channel: string): string {
  return DELIVERY_CHANNEL[channel] ?? channel;
}

const DELIVERY_STATUS: Record<string, string> = {
  pending: "En attente d'envoi",
  sent: 'Envoyé',
  failed: 'Échec définitif',
};

export function deliveryStatus(status: string): string {
  return DELIVERY_STATUS[status] ?? status;
}

/**
 * Euros as typed (`17`, `17,50`, `17.5 €`) → cents; null when it is not an amount.
 * Cents are what the API takes: no floating point on the way.
 */
export function euroCents(typed: string): number | null {
  const text = typed.replace(/[\s\u00a0\u202f€]/g, '').replace(',', '.');
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) return null;
  const [, units = '0', decimals = ''] = match;
  return Number(units) * 100 + Number(decimals.padEnd(2, '0'));
}

/** `1750` → `17,50 €`. */
export function euros(cents: number): string {
  return (cents / 100).toLocaleString('fr-FR', { style: 'currency', currency: 'EUR' });
}

/**
 * A file of the dossier, fetched with the agent's token (a plain link would go
 * without it): a complaint's photo, a dispute's piece or a teleservice's attachment.
 */
export async function fetchPiece(kind: string, tracking_number: string, id: string): Promise<Blob | Failure> {
  try {
    const answer =
      kind === 'complaint'
        ? await staff.GET('/api/v1/demands/{tracking_number}/photos/{photo_id}', {
            params: { path: { tracking_number, photo_id: id } },
            parseAs: 'blob',
          })
        : kind === 'rapo'
          ? await staff.GET('/api/v1/rapo/disputes/{tracking_number}/pieces/{piece_id}', {
              params: { path: { tracking_number, piece_id: id } },
              parseAs: 'blob',
            })
          : await staff.GET('/api/v1/demands/{tracking_number}/attachments/{id}', {
              params: { path: { tracking_number, id } },
              parseAs: 'blob',
            });
    if (answer.data instanceof Blob) return answer.data;
    return failureOf(answer.error, answer.response);
  } catch {
    return networkFailure();
  }
}
