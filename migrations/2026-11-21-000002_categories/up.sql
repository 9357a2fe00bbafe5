-- The taxonomy of collaborative practices: a shallow tree (families, then practices).
CREATE TABLE categories (
    id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id  integer REFERENCES categories (id),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name_fr    text NOT NULL,
    name_en    text NOT NULL,
    colour     text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
    icon       text NOT NULL,
    position   smallint NOT NULL DEFAULT 0
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

-- A category and all its descendants, by slug; unknown slugs are ignored (callers check them).
CREATE FUNCTION archipel_category_ids(slugs text[]) RETURNS integer[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(
        WITH RECURSIVE tree AS (
            SELECT id FROM categories WHERE slug = ANY (slugs)
            UNION
            SELECT c.id FROM categories c JOIN tree t ON c.parent_id = t.id
        )
        SELECT id FROM tree
    );

INSERT INTO categories (slug, name_fr, name_en, colour, icon, position) VALUES
    ('reuse-repair',      'Réemploi et réparation',          'Reuse and repair',              '#c2410c', 'wrench',    1),
    ('food-gardens',      'Alimentation et jardins',         'Food and gardens',              '#4d7c0f', 'leaf',      2),
    ('making-working',    'Faire et travailler ensemble',    'Making and working together',   '#1d4ed8', 'tools',     3),
    ('sharing',           'Partage et gratuité',             'Sharing and giving',            '#7e22ce', 'gift',      4),
    ('solidarity-economy','Économie solidaire et habitat',   'Solidarity economy and housing','#b45309', 'coins',     5),
    ('social-links',      'Lien social et inclusion',        'Community and inclusion',       '#be185d', 'people',    6);

INSERT INTO categories (parent_id, slug, name_fr, name_en, colour, icon, position)
SELECT p.id, v.slug, v.name_fr, v.name_en, v.colour, v.icon, v.position
FROM (VALUES
    ('reuse-repair', 'repair-cafe',           'Repair café',                                  'Repair café',                            '#ea580c', 'wrench',        1),
    ('reuse-repair', 'bike-workshop',         'Atelier vélo participatif',                    'Community bike workshop',                '#f97316', 'bicycle',       2),
    ('reuse-repair', 'recyclerie',            'Recyclerie, ressourcerie',                     'Reuse centre',                           '#c2410c', 'recycle',       3),
    ('reuse-repair', 'second-hand',           'Friperie, boutique solidaire',                 'Second-hand and charity shop',           '#9a3412', 'shirt',         4),
    ('reuse-repair', 'repair-shop',           'Réparateur',                                   'Repair shop',                            '#7c2d12', 'screwdriver',   5),
    ('food-gardens', 'shared-garden',         'Jardin partagé',                               'Shared garden',                          '#65a30d', 'sprout',        1),
    ('food-gardens', 'shared-composting',     'Compost partagé',                              'Shared composting',                      '#3f6212', 'compost',       2),
    ('food-gardens', 'amap',                  'AMAP, partenariat producteurs-consommateurs',  'Community-supported agriculture (CSA)',  '#84cc16', 'basket',        3),
    ('food-gardens', 'cooperative-grocery',   'Épicerie coopérative',                         'Cooperative grocery',                    '#4d7c0f', 'cart',          4),
    ('food-gardens', 'seed-library',          'Grainothèque',                                 'Seed library',                           '#a3a635', 'seed',          5),
    ('making-working', 'fablab',              'Fablab, makerspace, hackerspace',              'Fablab, makerspace, hackerspace',        '#2563eb', 'cog',           1),
    ('making-working', 'tiers-lieu',          'Tiers-lieu, coworking',                        'Third place, coworking',                 '#1e40af', 'building',      2),
    ('making-working', 'digital-inclusion',   'Médiation numérique',                          'Digital inclusion',                      '#0891b2', 'laptop',        3),
    ('sharing',      'give-box',              'Boîte à dons',                                 'Give box',                               '#9333ea', 'gift',          1),
    ('sharing',      'tool-library',          'Outilthèque',                                  'Tool library',                           '#7e22ce', 'hammer',        2),
    ('sharing',      'book-box',              'Boîte à livres',                               'Book box',                               '#a855f7', 'book',          3),
    ('sharing',      'toy-library',           'Ludothèque',                                   'Toy library',                            '#6b21a8', 'puzzle',        4),
    ('solidarity-economy', 'local-exchange',  'SEL, monnaie locale',                          'Local exchange system, local currency',  '#d97706', 'coins',         1),
    ('solidarity-economy', 'participatory-housing', 'Habitat participatif',                   'Participatory housing',                  '#b45309', 'home',          2),
    ('social-links', 'community-cafe',        'Café associatif',                              'Community café',                         '#db2777', 'coffee',        1),
    ('social-links', 'food-bank',             'Aide alimentaire, banque alimentaire',         'Food bank',                              '#be185d', 'bread',         2)
) AS v (parent, slug, name_fr, name_en, colour, icon, position)
JOIN categories p ON p.slug = v.parent;
