/**
 * Teleservice themes in residents' words, in the order the city lists them. The API
 * gives only codes (`ETAT_CIVIL`) outside the administrators' area; these mirror the
 * identity service's seed (migration `…_departments.sql`).
 * TODO: read them from the API once a public theme list (or a label in each catalogue
 * entry) exists.
 */
const THEMES: [code: string, label: string][] = [
  ['ETAT_CIVIL', 'État civil'],
  ['TITRES', "Papiers d'identité"],
  ['CITOYENNETE', 'Citoyenneté et élections'],
  ['EDUCATION', 'Éducation et petite enfance'],
  ['URBANISME', 'Urbanisme'],
  ['DOMAINE_PUBLIC', 'Voirie et domaine public'],
  ['COMMERCE', 'Commerce'],
  ['EVENEMENTS', 'Événements et débits de boissons'],
  ['VIE_ASSOCIATIVE', 'Vie associative'],
  ['CULTURE_SPORT', 'Culture et sport'],
  ['FUNERAIRE', 'Funéraire'],
  ['SOCIAL', 'Action sociale'],
  ['HABITAT', 'Habitat et hygiène'],
  ['STATIONNEMENT', 'Stationnement résidentiel'],
  ['SECURITE', 'Tranquillité et sécurité'],
  ['CONTACT', 'Contact et courrier au maire'],
];

const LABELS = new Map(THEMES);
const ORDER = new Map(THEMES.map(([code], i) => [code, i]));

export function themeLabel(code: string): string {
  return LABELS.get(code) ?? 'Autres démarches';
}

/** Known themes in the city's order, then unknown ones. */
export function themeOrder(code: string): number {
  return ORDER.get(code) ?? THEMES.length;
}
