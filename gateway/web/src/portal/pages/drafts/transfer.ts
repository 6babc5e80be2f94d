/**
 * Files of a draft, sent and fetched back. Uploads go through `XMLHttpRequest`, the
 * one browser API that reports how much of a request body has left (`fetch` does
 * not), with the same `Authorization` the API client sends: the signed-in resident's
 * token, or in the installed app its device's, or none.
 */

import type { Schemas } from '../../../lib/api/client';
import { deviceToken } from '../../../lib/api/device';
import { currentChannel } from '../../../lib/channel';
import { session } from '../../../lib/session.svelte';

export type Attachment = Schemas['Attachment'];

/** The `Authorization` header the API client would send, if any. */
export async function authorization(): Promise<string | null> {
  const token = await session.token();
  if (token) return `Bearer ${token}`;
  if (currentChannel() === 'app') {
    const device = await deviceToken();
    if (device) return `Bearer ${device}`;
  }
  return null;
}

/** Whether downloads need a token (a plain link is enough without). */
export function downloadsNeedToken(): boolean {
  return session.signedIn || currentChannel() === 'app';
}

/** The French sentence of a refused upload. */
function refusal(status: number, body: string): string {
  try {
    const problem = JSON.parse(body) as Schemas['Problem'];
    const first = problem.errors?.[0]?.detail;
    if (first) return first;
    if (problem.detail) return problem.detail;
  } catch {
    // Not a problem document: the wording below.
  }
  if (status === 413) return 'Ce fichier dépasse la taille maximale de 10 Mo.';
  if (status === 429 || status === 503) return 'Le service est très sollicité : réessayez dans quelques instants.';
  return "Le fichier n'a pas pu être envoyé. Réessayez dans quelques instants.";
}

/** Sends `file` to the draft (`multipart/form-data`, part `file`), reporting progress (0 to 1). */
export async function uploadToDraft(draftId: string, file: File, progress: (sent: number) => void): Promise<Attachment> {
  const auth = await authorization();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/drafts/${encodeURIComponent(draftId)}/attachments`);
    if (auth) xhr.setRequestHeader('Authorization', auth);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) progress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status === 201) {
        progress(1);
        try {
          resolve(JSON.parse(xhr.responseText) as Attachment);
        } catch {
          reject(new Error("La réponse du service n'a pas pu être lue. Réessayez."));
        }
      } else {
        // The session ended elsewhere: the next API call signs out too.
        if (xhr.status === 401 && auth) session.forget();
        reject(new Error(refusal(xhr.status, xhr.responseText)));
      }
    };
    xhr.onerror = () => reject(new Error('Connexion impossible. Vérifiez votre connexion à internet puis réessayez.'));
    xhr.ontimeout = xhr.onerror;
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Downloads a draft's file with the caller's token, then saves it under its name. */
export async function downloadWithToken(href: string, filename: string): Promise<void> {
  const auth = await authorization();
  const response = await fetch(href, { headers: auth ? { Authorization: auth } : {} });
  if (!response.ok) throw new Error(`download: ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked a little later: the browser reads the file asynchronously.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
