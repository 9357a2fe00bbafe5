// Every string the interface shows, in French and English. `{name}` placeholders are filled by
// `t()`. The static markup names its strings with data-i18n attributes (see `translatePage`).

export type Lang = 'fr' | 'en';
export const LANGS: readonly Lang[] = ['fr', 'en'];

const fr = {
  appTitle: 'Archipel',
  appTagline: 'Les initiatives collaboratives près de chez vous',
  skipToMap: 'Aller à la carte',
  skipToList: 'Aller à la liste',
  mapLabel: 'Carte des initiatives',
  mapHelp: 'Carte interactive : faites-la glisser et zoomez avec la souris ou le clavier (flèches, + et -). La liste reprend ce qui est visible.',
  embedMapLabel: 'Carte des initiatives (intégrée)',
  language: 'Langue',
  switchToOther: 'Switch to English',
  switchToOtherShort: 'English',
  searchLabel: 'Rechercher une initiative',
  searchPlaceholder: 'Rechercher : réparation, jardin, ville…',
  searchSubmit: 'Filtrer la carte avec ces mots',
  searchClear: 'Effacer la recherche',
  searchNoResult: 'Aucune initiative ne correspond à « {q} ».',
  searchResults: '{n} suggestion(s). Flèches haut et bas pour choisir, Entrée pour ouvrir.',
  searchFailed: 'La recherche a échoué : {detail}',
  searchActive: 'Mots recherchés : « {q} »',
  nearMe: 'Autour de moi',
  nearMeBusy: 'Recherche de votre position…',
  geoDenied: 'Vous avez refusé de partager votre position. Autorisez-la dans les réglages du navigateur, ou déplacez la carte à la main.',
  geoUnavailable: 'Votre position est indisponible pour le moment. Réessayez plus tard ou déplacez la carte à la main.',
  geoTimeout: 'La recherche de votre position a pris trop de temps. Réessayez.',
  geoUnsupported: 'Ce navigateur ne sait pas donner votre position.',
  nearestTitle: 'Au plus près de vous',
  nearestNone: 'Aucune initiative à moins de {km} km de vous.',
  nearestClose: 'Masquer',
  youAreHere: 'Vous êtes ici',
  suggest: 'Proposer une initiative',
  embed: 'Intégrer cette carte',
  filtersTitle: 'Catégories',
  filtersHelp: 'Cochez une ou plusieurs catégories pour ne montrer qu’elles.',
  filtersClear: 'Tout afficher',
  filtersLoading: 'Chargement des catégories…',
  filtersFailed: 'Les catégories n’ont pas pu être chargées : {detail}',
  retry: 'Réessayer',
  showPractices: 'Détail de « {name} »',
  countTitle: '{n} initiative(s) publiée(s)',
  listTitle: 'Dans la zone visible',
  listLoading: 'Chargement de la liste…',
  listEmpty: 'Aucune initiative ici. Dézoomez ou changez de filtres.',
  listCount: '{n} initiative(s) dans la zone visible',
  listCountMore: 'Les {n} premières initiatives de la zone : zoomez pour les voir toutes',
  listFailed: 'La liste n’a pas pu être chargée : {detail}',
  listHelp: 'Flèches haut et bas pour parcourir, Entrée pour ouvrir la fiche.',
  sheetShow: 'Afficher la liste',
  sheetHide: 'Réduire la liste',
  close: 'Fermer',
  cardLoading: 'Chargement de la fiche…',
  cardFailed: 'Cette fiche n’a pas pu être chargée : {detail}',
  cardLabel: 'Fiche de l’initiative',
  address: 'Adresse',
  openingHours: 'Horaires',
  openNow: 'Ouvert maintenant',
  closedNow: 'Fermé maintenant',
  open247: 'Ouvert 24 h/24, 7 j/7',
  closesAt: 'ferme à {time}',
  closesMidnight: 'ferme à minuit',
  closesTomorrowAt: 'ferme demain à {time}',
  closesDayAt: 'ferme {day} à {time}',
  opensAt: 'ouvre à {time}',
  opensTomorrowAt: 'ouvre demain à {time}',
  opensDayAt: 'ouvre {day} à {time}',
  closedAllWeek: 'Fermé toute la semaine',
  closedDay: 'Fermé',
  hoursRawNote: 'Horaires tels que déclarés (non interprétés) :',
  hoursTimeZone: 'Heures de votre fuseau horaire',
  today: 'aujourd’hui',
  contact: 'Contact',
  phone: 'Téléphone',
  email: 'Courriel',
  website: 'Site web',
  links: 'Liens',
  source: 'Source',
  licence: 'Licence',
  attribution: 'Attribution',
  lastConfirmed: 'Dernière confirmation : {date}',
  neverConfirmed: 'Pas encore confirmée sur place',
  staleConfirmed: 'Dernière confirmation le {date} : ces informations ont peut-être changé.',
  staleNever: 'Jamais confirmée depuis son ajout le {date} : ces informations ont peut-être changé.',
  updated: 'Mise à jour : {date}',
  permalink: 'Lien permanent',
  copy: 'Copier',
  copied: 'Copié !',
  copyFailed: 'La copie a échoué : sélectionnez le texte et copiez-le à la main.',
  report: 'Signaler une correction',
  statusInactive: 'En pause',
  statusClosed: 'Fermée définitivement',
  seeOnFullMap: 'Voir sur la carte complète',
  clusterLabel: '{n} initiatives : cliquez pour zoomer',
  // forms
  required: '(obligatoire)',
  optional: '(facultatif)',
  formSending: 'Envoi…',
  formSend: 'Envoyer',
  formCancel: 'Annuler',
  formErrors: 'Le formulaire contient des erreurs :',
  formNetwork: 'Le serveur ne répond pas. Vérifiez votre connexion et réessayez.',
  honeypot: 'Laissez ce champ vide',
  suggestTitle: 'Proposer une initiative',
  suggestIntro: 'Votre proposition sera vérifiée par un éditeur avant d’apparaître sur la carte.',
  fName: 'Nom',
  fDescription: 'Description',
  fCategories: 'Catégories',
  fCategoriesHelp: 'La première cochée sera la catégorie principale.',
  fLocation: 'Emplacement',
  fLocationNone: 'Aucun emplacement choisi.',
  fLocationValue: 'Emplacement choisi : {lat}, {lon}',
  fUseCentre: 'Utiliser le centre de la carte',
  fPickOnMap: 'Choisir sur la carte',
  pickBanner: 'Cliquez sur la carte à l’emplacement de l’initiative (Échap pour annuler).',
  pickCancel: 'Annuler le choix',
  fStreet: 'Rue',
  fPostcode: 'Code postal',
  fCity: 'Commune',
  fWebsite: 'Site web',
  fEmail: 'Courriel de l’initiative',
  fPhone: 'Téléphone',
  fOpeningHours: 'Horaires',
  fOpeningHoursHelp: 'Au format OpenStreetMap, par ex. « Mo-Fr 09:00-18:00; Sa 10:00-12:00 ».',
  fSubmitterEmail: 'Votre courriel',
  fSubmitterEmailHelp: 'Pour vous prévenir ou vous poser une question ; il ne sera pas publié.',
  reportTitle: 'Signaler une correction',
  reportIntro: 'Qu’est-ce qui est inexact ou manquant dans la fiche « {name} » ?',
  fMessage: 'Votre message',
  fReportEmail: 'Votre courriel',
  fReportEmailHelp: 'Si vous souhaitez une réponse ; il ne sera pas publié.',
  // embed dialog
  embedTitle: 'Intégrer cette carte',
  embedIntro: 'Copiez ce code dans votre site : la carte reprendra la zone visible, les catégories et la recherche actuelles.',
  embedCode: 'Code à copier',
  embedWidth: 'Largeur',
  embedHeight: 'Hauteur (pixels)',
  embedPreview: 'Ouvrir la carte intégrée dans un nouvel onglet',
  embedFrameTitle: 'Carte des initiatives collaboratives',
  // errors
  errorGeneric: 'Une erreur est survenue ({status}).',
  errorNetwork: 'Le serveur ne répond pas. Vérifiez votre connexion.',
  errorTiles: 'Une partie de la carte n’a pas pu être chargée : {detail}',
  errorConfig: 'La configuration de la carte n’a pas pu être chargée ({detail}) : la vue par défaut est utilisée.',
  basemapUnavailable: 'Fond de carte indisponible : les initiatives sont affichées sur un fond uni.',
  mapUnsupported: 'Votre navigateur ne peut pas afficher la carte (WebGL indisponible). La liste reste utilisable.',
  dismiss: 'Fermer ce message',
  notices: 'Messages',
  weekdays: 'lundi,mardi,mercredi,jeudi,vendredi,samedi,dimanche',
  weekdaysShort: 'Lun,Mar,Mer,Jeu,Ven,Sam,Dim',
  distanceM: 'à {n} m',
  distanceKm: 'à {n} km',
  credits: 'Données : contributeurs d’Archipel',
} as const;

export type Key = keyof typeof fr;

const en: Record<Key, string> = {
  appTitle: 'Archipel',
  appTagline: 'Collaborative initiatives near you',
  skipToMap: 'Skip to the map',
  skipToList: 'Skip to the list',
  mapLabel: 'Map of the initiatives',
  mapHelp: 'Interactive map: drag and zoom it with the mouse or the keyboard (arrows, + and -). The list shows what is in view.',
  embedMapLabel: 'Map of the initiatives (embedded)',
  language: 'Language',
  switchToOther: 'Passer en français',
  switchToOtherShort: 'Français',
  searchLabel: 'Search for an initiative',
  searchPlaceholder: 'Search: repair, garden, town…',
  searchSubmit: 'Filter the map with these words',
  searchClear: 'Clear the search',
  searchNoResult: 'No initiative matches “{q}”.',
  searchResults: '{n} suggestion(s). Up and down arrows to choose, Enter to open.',
  searchFailed: 'The search failed: {detail}',
  searchActive: 'Searching for “{q}”',
  nearMe: 'Near me',
  nearMeBusy: 'Finding your position…',
  geoDenied: 'You declined to share your position. Allow it in your browser settings, or move the map by hand.',
  geoUnavailable: 'Your position is not available right now. Try again later or move the map by hand.',
  geoTimeout: 'Finding your position took too long. Please try again.',
  geoUnsupported: 'This browser cannot tell your position.',
  nearestTitle: 'Nearest to you',
  nearestNone: 'No initiative within {km} km of you.',
  nearestClose: 'Hide',
  youAreHere: 'You are here',
  suggest: 'Suggest an initiative',
  embed: 'Embed this map',
  filtersTitle: 'Categories',
  filtersHelp: 'Tick one or more categories to show only those.',
  filtersClear: 'Show all',
  filtersLoading: 'Loading the categories…',
  filtersFailed: 'The categories could not be loaded: {detail}',
  retry: 'Try again',
  showPractices: 'Details of “{name}”',
  countTitle: '{n} published initiative(s)',
  listTitle: 'In view',
  listLoading: 'Loading the list…',
  listEmpty: 'No initiative here. Zoom out or change the filters.',
  listCount: '{n} initiative(s) in view',
  listCountMore: 'The first {n} initiatives in view: zoom in to see them all',
  listFailed: 'The list could not be loaded: {detail}',
  listHelp: 'Up and down arrows to browse, Enter to open the details.',
  sheetShow: 'Show the list',
  sheetHide: 'Collapse the list',
  close: 'Close',
  cardLoading: 'Loading the details…',
  cardFailed: 'These details could not be loaded: {detail}',
  cardLabel: 'Initiative details',
  address: 'Address',
  openingHours: 'Opening hours',
  openNow: 'Open now',
  closedNow: 'Closed now',
  open247: 'Open 24/7',
  closesAt: 'closes at {time}',
  closesMidnight: 'closes at midnight',
  closesTomorrowAt: 'closes tomorrow at {time}',
  closesDayAt: 'closes on {day} at {time}',
  opensAt: 'opens at {time}',
  opensTomorrowAt: 'opens tomorrow at {time}',
  opensDayAt: 'opens on {day} at {time}',
  closedAllWeek: 'Closed all week',
  closedDay: 'Closed',
  hoursRawNote: 'Opening hours as declared (not interpreted):',
  hoursTimeZone: 'Times in your time zone',
  today: 'today',
  contact: 'Contact',
  phone: 'Phone',
  email: 'E-mail',
  website: 'Website',
  links: 'Links',
  source: 'Source',
  licence: 'Licence',
  attribution: 'Attribution',
  lastConfirmed: 'Last confirmed: {date}',
  neverConfirmed: 'Not yet confirmed on site',
  staleConfirmed: 'Last confirmed {date}: this may have changed.',
  staleNever: 'Not confirmed since it was added on {date}: this may have changed.',
  updated: 'Updated: {date}',
  permalink: 'Permanent link',
  copy: 'Copy',
  copied: 'Copied!',
  copyFailed: 'Copying failed: select the text and copy it by hand.',
  report: 'Report a correction',
  statusInactive: 'Paused',
  statusClosed: 'Permanently closed',
  seeOnFullMap: 'See on the full map',
  clusterLabel: '{n} initiatives: click to zoom in',
  required: '(required)',
  optional: '(optional)',
  formSending: 'Sending…',
  formSend: 'Send',
  formCancel: 'Cancel',
  formErrors: 'The form has errors:',
  formNetwork: 'The server does not answer. Check your connection and try again.',
  honeypot: 'Leave this field empty',
  suggestTitle: 'Suggest an initiative',
  suggestIntro: 'An editor will check your suggestion before it appears on the map.',
  fName: 'Name',
  fDescription: 'Description',
  fCategories: 'Categories',
  fCategoriesHelp: 'The first one ticked becomes the main category.',
  fLocation: 'Location',
  fLocationNone: 'No location chosen.',
  fLocationValue: 'Chosen location: {lat}, {lon}',
  fUseCentre: 'Use the centre of the map',
  fPickOnMap: 'Pick on the map',
  pickBanner: 'Click the map where the initiative is (Escape to cancel).',
  pickCancel: 'Cancel picking',
  fStreet: 'Street',
  fPostcode: 'Postcode',
  fCity: 'Town',
  fWebsite: 'Website',
  fEmail: 'E-mail of the initiative',
  fPhone: 'Phone',
  fOpeningHours: 'Opening hours',
  fOpeningHoursHelp: 'In OpenStreetMap syntax, e.g. “Mo-Fr 09:00-18:00; Sa 10:00-12:00”.',
  fSubmitterEmail: 'Your e-mail',
  fSubmitterEmailHelp: 'To let you know or ask you a question; it will not be published.',
  reportTitle: 'Report a correction',
  reportIntro: 'What is wrong or missing in the details of “{name}”?',
  fMessage: 'Your message',
  fReportEmail: 'Your e-mail',
  fReportEmailHelp: 'If you would like an answer; it will not be published.',
  embedTitle: 'Embed this map',
  embedIntro: 'Copy this code into your website: the map will show the current view, categories and search.',
  embedCode: 'Code to copy',
  embedWidth: 'Width',
  embedHeight: 'Height (pixels)',
  embedPreview: 'Open the embedded map in a new tab',
  embedFrameTitle: 'Map of collaborative initiatives',
  errorGeneric: 'Something went wrong ({status}).',
  errorNetwork: 'The server does not answer. Check your connection.',
  errorTiles: 'Part of the map could not be loaded: {detail}',
  errorConfig: 'The map settings could not be loaded ({detail}): the default view is used.',
  basemapUnavailable: 'Background map unavailable: initiatives are shown on a plain background.',
  mapUnsupported: 'Your browser cannot display the map (WebGL unavailable). The list still works.',
  dismiss: 'Dismiss this message',
  notices: 'Messages',
  weekdays: 'Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday',
  weekdaysShort: 'Mon,Tue,Wed,Thu,Fri,Sat,Sun',
  distanceM: '{n} m away',
  distanceKm: '{n} km away',
  credits: 'Data: Archipel contributors',
};

const tables: Record<Lang, Record<Key, string>> = { fr, en };

/** Every string's key (for the tests that check both languages are complete). */
export const KEYS = Object.keys(fr) as Key[];

export type Params = Record<string, string | number>;

/** The string `key` in `lang`, with its `{placeholders}` filled from `params`. */
export function t(lang: Lang, key: Key, params?: Params): string {
  const template = tables[lang][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

export function isLang(value: unknown): value is Lang {
  return value === 'fr' || value === 'en';
}

/** The first of the browser's preferred languages we speak; French otherwise. */
export function browserLang(languages: readonly string[] = navigator.languages): Lang {
  for (const tag of languages) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLang(base)) return base;
  }
  return 'fr';
}

export function weekdayName(lang: Lang, mondayBased: number): string {
  return t(lang, 'weekdays').split(',')[mondayBased] ?? '';
}

export function weekdayShort(lang: Lang, mondayBased: number): string {
  return t(lang, 'weekdaysShort').split(',')[mondayBased] ?? '';
}

/**
 * Fills the static markup: `data-i18n="key"` sets the text, `data-i18n-attr="attr:key;attr:key"`
 * sets attributes. Also keeps `<html lang>` right.
 */
export function translatePage(lang: Lang, root: ParentNode = document): void {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = el.dataset.i18n as Key;
    el.textContent = t(lang, key);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-attr]')) {
    for (const pair of (el.dataset.i18nAttr ?? '').split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(lang, key.trim() as Key));
    }
  }
}
