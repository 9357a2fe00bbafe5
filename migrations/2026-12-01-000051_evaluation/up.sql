-- The evaluation grid (DOMINO-style): dimensions, criteria with a guiding question and a scale,
-- versioned (an edit writes a new version; assessments keep the version they scored), and the
-- assessments of initiatives (scores per criterion, evidence, assessor, date; history kept).
-- Seeded with our own wording of published frameworks (Karte von morgen's −1..2 ratings, ADEME's
-- territorial circular-economy referential, the PICO factors of collaborative consumption).
CREATE TABLE evaluation_dimensions (
    slug     text PRIMARY KEY CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name_fr  text NOT NULL,
    name_en  text NOT NULL,
    position smallint NOT NULL DEFAULT 0
);

CREATE TABLE evaluation_criteria (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) <= 60),
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- Only the newest version of a criterion is current.
    current     boolean NOT NULL DEFAULT true,
    dimension   text NOT NULL REFERENCES evaluation_dimensions (slug),
    name_fr     text NOT NULL CHECK (char_length(name_fr) BETWEEN 1 AND 200),
    name_en     text NOT NULL CHECK (char_length(name_en) BETWEEN 1 AND 200),
    question_fr text NOT NULL CHECK (char_length(question_fr) BETWEEN 1 AND 500),
    question_en text NOT NULL CHECK (char_length(question_en) BETWEEN 1 AND 500),
    scale_min   smallint NOT NULL DEFAULT -1,
    scale_max   smallint NOT NULL DEFAULT 2,
    position    smallint NOT NULL DEFAULT 0,
    created_by  text NOT NULL DEFAULT 'migration',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (scale_min < scale_max),
    UNIQUE (slug, version)
);
CREATE UNIQUE INDEX evaluation_criteria_current_idx ON evaluation_criteria (slug) WHERE current;

CREATE TABLE assessments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    initiative_id uuid NOT NULL REFERENCES initiatives (id),
    assessor      text NOT NULL,
    evidence      text NOT NULL DEFAULT '' CHECK (char_length(evidence) <= 10000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessments_initiative_idx ON assessments (initiative_id, id DESC);

-- A score per criterion version; NULL: not applicable.
CREATE TABLE assessment_scores (
    assessment_id bigint NOT NULL REFERENCES assessments (id),
    criterion_id  integer NOT NULL REFERENCES evaluation_criteria (id),
    score         smallint,
    PRIMARY KEY (assessment_id, criterion_id)
);

INSERT INTO evaluation_dimensions (slug, name_fr, name_en, position) VALUES
    ('environment',           'Environnement',       'Environment',           1),
    ('social',                'Social',              'Social',                2),
    ('economy',               'Économie',            'Economy',               3),
    ('governance',            'Gouvernance',         'Governance',            4),
    ('territorial-anchoring', 'Ancrage territorial', 'Territorial anchoring', 5);

INSERT INTO evaluation_criteria (slug, dimension, position, name_fr, name_en, question_fr, question_en) VALUES
    ('longer-life', 'environment', 1, 'Durée de vie des biens', 'Longer life of goods',
     'L''initiative fait-elle durer les objets (réparation, réemploi, partage) plutôt que d''en faire acheter de neufs ?',
     'Does the initiative make goods last longer (repair, reuse, sharing) rather than have new ones bought?'),
    ('waste-avoided', 'environment', 2, 'Déchets évités', 'Waste avoided',
     'L''activité évite-t-elle des déchets, et les compte-t-elle ?',
     'Does the activity avoid waste, and does it keep count?'),
    ('transport-induced', 'environment', 3, 'Déplacements induits', 'Transport induced',
     'Les participants et les biens parcourent-ils de courtes distances, à pied, à vélo ou en transports en commun ?',
     'Do participants and goods travel short distances, on foot, by bike or by public transport?'),
    ('rebound-effects', 'environment', 4, 'Effets rebond', 'Rebound effects',
     'L''initiative veille-t-elle à ce que l''argent ou le temps économisé n''alimente pas davantage de consommation ailleurs ?',
     'Does the initiative take care that the money or time saved does not feed more consumption elsewhere?'),
    ('ties-created', 'social', 1, 'Liens créés', 'Ties created',
     'Des personnes qui ne se connaissaient pas s''y rencontrent-elles et s''entraident-elles ?',
     'Do people who did not know each other meet there and help each other?'),
    ('accessibility', 'social', 2, 'Accessibilité et inclusion', 'Accessibility and inclusion',
     'Tout le monde peut-il y venir : prix, horaires, accès physique, langue, aisance numérique ?',
     'Can everyone come: price, opening hours, physical access, language, digital skills?'),
    ('participation', 'social', 3, 'Participation', 'Participation',
     'Les participants prennent-ils part aux activités et aux décisions, au-delà de l''usage du service ?',
     'Do participants take part in the activities and decisions, beyond using the service?'),
    ('local-jobs', 'economy', 1, 'Emplois locaux', 'Local jobs',
     'L''activité crée-t-elle ou maintient-elle des emplois sur le territoire ?',
     'Does the activity create or keep jobs on the territory?'),
    ('durable-model', 'economy', 2, 'Modèle économique durable', 'Durable economic model',
     'L''initiative peut-elle durer sans dépendre d''une seule subvention ou d''une seule personne ?',
     'Can the initiative last without depending on a single grant or a single person?'),
    ('value-kept-locally', 'economy', 3, 'Valeur gardée localement', 'Value kept locally',
     'L''argent, les savoir-faire et les biens produits restent-ils sur le territoire ?',
     'Do the money, skills and goods produced stay on the territory?'),
    ('openness', 'governance', 1, 'Ouverture', 'Openness',
     'Chacun peut-il rejoindre l''initiative et comprendre comment elle fonctionne ?',
     'Can anyone join the initiative and understand how it works?'),
    ('cooperation', 'governance', 2, 'Coopération avec d''autres acteurs', 'Cooperation with other actors',
     'L''initiative travaille-t-elle avec d''autres initiatives, associations, entreprises ou services publics ?',
     'Does the initiative work with other initiatives, associations, businesses or public services?'),
    ('transparency', 'governance', 3, 'Transparence', 'Transparency',
     'Les comptes, les décisions et les résultats sont-ils rendus publics ?',
     'Are the accounts, decisions and results made public?'),
    ('authority-partnerships', 'territorial-anchoring', 1, 'Partenariats avec la collectivité', 'Partnerships with the local authority',
     'La collectivité soutient-elle l''initiative : locaux, convention, communication, achats ?',
     'Does the local authority support the initiative: premises, agreement, communication, purchases?'),
    ('local-networks', 'territorial-anchoring', 2, 'Réseaux locaux', 'Local networks',
     'L''initiative appartient-elle à des réseaux locaux ou thématiques (Repair Café, tiers-lieux, AMAP…) ?',
     'Does the initiative belong to local or thematic networks (Repair Café, tiers-lieux, AMAP…)?');
