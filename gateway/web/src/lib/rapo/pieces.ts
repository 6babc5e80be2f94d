/**
 * The dispute's pieces as the RAPO service takes them (`services/rapo/src/domain/filing.rs`):
 * PDF, JPEG or PNG read from the bytes, 3 MB each, 10 MB in all, ten supporting
 * documents at most. Checked here before anything is sent, so a resident on a slow
 * line does not upload 10 MB to hear that one file was a Word document.
 */

import type { Schemas } from '../api/client';

export const MAX_PIECE_BYTES = 3 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 10 * 1024 * 1024;
export const MAX_SUPPORTING = 10;
/** What the file chooser offers; the bytes decide (`sniff`). */
export const ACCEPT = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';
export const RULE = 'PDF, JPEG ou PNG, 3 Mo au plus.';

/** The type the first bytes show, as the service reads it; null for anything else. */
export async function sniff(file: File): Promise<'application/pdf' | 'image/jpeg' | 'image/png' | null> {
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  return null;
}

/** Why the file cannot be a piece, in French; '' when it can. */
export async function refusal(file: File): Promise<string> {
  if (file.size === 0) return `« ${file.name} » est vide.`;
  if (file.size > MAX_PIECE_BYTES) return `« ${file.name} » dépasse 3 Mo : réduisez sa taille (une photo moins grande, un scan en noir et blanc).`;
  if (!(await sniff(file))) return `« ${file.name} » n'est ni un PDF, ni une image JPEG ou PNG.`;
  return '';
}

/** The file as the API's JSON carries it: its bytes in base64. */
export async function upload(file: File): Promise<Schemas['PieceUpload']> {
  const url = await new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('lecture impossible'));
    reader.readAsDataURL(file);
  });
  return {
    name: file.name,
    content_type: (await sniff(file)) ?? file.type,
    data: url.slice(url.indexOf(',') + 1),
  };
}
