//! Deterministic datasets of initiatives: clustered around French cities (weighted by
//! population) plus a uniform spread over mainland France, with realistic names, ~200-character
//! descriptions, one to three categories, addresses and opening hours. The same seed gives the
//! same initiatives, byte for byte.

use crate::cities::{CITIES, MAINLAND};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

pub const SEED: u64 = 20_261_121;
/// Part of the initiatives spread uniformly rather than around a city.
const UNIFORM_SHARE: f64 = 0.15;

/// Practices and how such places are usually named.
const PRACTICES: &[(&str, &[&str], u32)] = &[
    (
        "repair-cafe",
        &["Repair Café", "Café Bricole", "Atelier de réparation"],
        12,
    ),
    (
        "bike-workshop",
        &["Atelier vélo", "La Roue Libre", "Cyclofficine"],
        8,
    ),
    ("recyclerie", &["Ressourcerie", "Recyclerie"], 6),
    ("second-hand", &["Boutique solidaire", "Friperie"], 6),
    (
        "repair-shop",
        &["Réparateur", "Atelier couture et retouches"],
        3,
    ),
    (
        "shared-garden",
        &["Jardin partagé", "Jardin des voisins", "Potager collectif"],
        14,
    ),
    (
        "shared-composting",
        &["Compost collectif", "Placette de compostage"],
        6,
    ),
    ("amap", &["AMAP", "Panier paysan"], 6),
    (
        "cooperative-grocery",
        &["Épicerie coopérative", "Supermarché coopératif"],
        4,
    ),
    ("seed-library", &["Grainothèque"], 2),
    ("fablab", &["Fablab", "Makerspace", "Hackerspace"], 6),
    ("tiers-lieu", &["Tiers-lieu", "Coworking associatif"], 5),
    (
        "digital-inclusion",
        &["Espace numérique", "Point d'accès numérique"],
        4,
    ),
    ("give-box", &["Boîte à dons", "Gratiferia"], 4),
    ("tool-library", &["Outilthèque", "Bricothèque"], 3),
    ("book-box", &["Boîte à livres"], 5),
    ("toy-library", &["Ludothèque"], 2),
    ("local-exchange", &["SEL", "Monnaie locale"], 2),
    ("participatory-housing", &["Habitat participatif"], 1),
    (
        "community-cafe",
        &["Café associatif", "Café des habitants"],
        3,
    ),
    ("food-bank", &["Épicerie solidaire", "Aide alimentaire"], 3),
];

const PLACES: &[&str] = &[
    "du Centre",
    "des Lilas",
    "de la Gare",
    "du Vieux Port",
    "des Capucins",
    "du Quartier Nord",
    "des Tilleuls",
    "de la Croix-Rousse",
    "du Marché",
    "des Cordeliers",
    "de la Source",
    "du Moulin",
    "des Chartreux",
    "de Bellevue",
    "du Parc",
    "des Tanneurs",
    "de l'Église",
    "des Peupliers",
    "du Canal",
    "de la Fontaine",
    "des Écoles",
    "du Château",
    "des Minimes",
    "de la Colline",
    "Saint-Michel",
    "Sainte-Anne",
    "du Faubourg",
    "des Arènes",
    "de la Prairie",
];

const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue du Moulin",
    "boulevard Pasteur",
    "rue des Écoles",
    "chemin des Vignes",
    "rue de la Paix",
    "allée des Tilleuls",
    "rue Émile Zola",
    "impasse des Artisans",
    "quai de la Loire",
    "rue Jules Ferry",
    "avenue de la Libération",
];

const OPENING_HOURS: &[&str] = &[
    "Sa 14:00-18:00",
    "Mo-Fr 09:00-18:00",
    "We 14:00-19:00; Sa 10:00-17:00",
    "Tu,Th 17:00-20:00",
    "Mo-Sa 10:00-12:00,14:00-19:00",
    "Su 10:00-13:00",
    "24/7",
    "Mo-Fr 08:30-12:30",
    "Th 18:00-21:00",
];

const OPENINGS: &[&str] = &[
    "Un lieu ouvert à toutes et à tous",
    "Une association de quartier",
    "Un collectif d'habitantes et d'habitants",
    "Une initiative citoyenne",
    "Un projet porté par des bénévoles",
];
const PURPOSES: &[&str] = &[
    "pour réparer plutôt que jeter, apprendre ensemble et partager des savoir-faire",
    "pour cultiver, composter et se retrouver autour de la terre",
    "pour fabriquer, bricoler et prototyper avec des outils partagés",
    "pour donner une seconde vie aux objets et réduire les déchets",
    "pour s'entraider, échanger des services et créer du lien",
];
const DETAILS: &[&str] = &[
    "Les rencontres ont lieu chaque mois, sans inscription.",
    "Adhésion libre, participation aux frais selon les moyens de chacun.",
    "Accessible en fauteuil, à deux pas des transports en commun.",
    "Des ateliers sont proposés aux écoles et aux centres sociaux.",
    "Les nouveaux venus sont accueillis par un membre de l'équipe.",
];
const TAGS: &[&str] = &[
    "réemploi",
    "zéro déchet",
    "bénévolat",
    "quartier",
    "solidarité",
    "ateliers",
    "jeunesse",
    "entraide",
];

/// One generated initiative.
#[derive(Debug, Clone)]
pub struct Initiative {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub lon: f64,
    pub lat: f64,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<&'static str>,
    pub tags: Vec<&'static str>,
    pub status: &'static str,
    pub moderation: &'static str,
    pub categories: Vec<&'static str>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

pub struct Generator {
    rng: ChaCha8Rng,
    index: u64,
    size: u64,
    city_weights: Vec<f64>,
    practice_weights: Vec<u32>,
}

impl Generator {
    pub fn new(size: u64) -> Self {
        let mut total = 0.0;
        let city_weights = CITIES
            .iter()
            .map(|c| {
                total += f64::from(c.3);
                total
            })
            .collect();
        let mut sum = 0;
        let practice_weights = PRACTICES
            .iter()
            .map(|p| {
                sum += p.2;
                sum
            })
            .collect();
        Self {
            rng: ChaCha8Rng::seed_from_u64(SEED),
            index: 0,
            size,
            city_weights,
            practice_weights,
        }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn gaussian(&mut self) -> f64 {
        // Box-Muller.
        let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    fn city(&mut self) -> usize {
        let total = *self.city_weights.last().unwrap_or(&1.0);
        let draw = self.rng.random_range(0.0..total);
        self.city_weights
            .partition_point(|w| *w <= draw)
            .min(CITIES.len() - 1)
    }

    fn practice(&mut self) -> usize {
        let total = *self.practice_weights.last().unwrap_or(&1);
        let draw = self.rng.random_range(0..total);
        self.practice_weights.partition_point(|w| *w <= draw)
    }

    fn position(&mut self) -> (f64, f64, usize) {
        if self.rng.random_bool(UNIFORM_SHARE) {
            loop {
                let lon = self.rng.random_range(-4.8..8.3);
                let lat = self.rng.random_range(42.3..51.1);
                if inside(lon, lat, MAINLAND) {
                    let nearest = nearest_city(lon, lat);
                    return (lon, lat, nearest);
                }
            }
        }
        let city = self.city();
        let (_, lat, lon, population, _) = CITIES[city];
        let sigma_km = 1.0 + 5.0 * (f64::from(population) / 2_100_000.0).sqrt();
        let dlat = self.gaussian() * sigma_km / 111.0;
        let dlon = self.gaussian() * sigma_km / (111.0 * lat.to_radians().cos());
        (lon + dlon, lat + dlat, city)
    }
}

/// Ray casting.
fn inside(lon: f64, lat: f64, ring: &[(f64, f64)]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

fn nearest_city(lon: f64, lat: f64) -> usize {
    let distance = |c: &(&str, f64, f64, u32, &str)| {
        (c.1 - lat).powi(2) + ((c.2 - lon) * lat.to_radians().cos()).powi(2)
    };
    (0..CITIES.len())
        .min_by(|a, b| distance(&CITIES[*a]).total_cmp(&distance(&CITIES[*b])))
        .unwrap_or(0)
}

pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

impl Iterator for Generator {
    type Item = Initiative;

    fn next(&mut self) -> Option<Initiative> {
        if self.index >= self.size {
            return None;
        }
        let index = self.index;
        self.index += 1;
        let (lon, lat, city) = self.position();
        let (city_name, _, _, _, postcode) = CITIES[city];
        let main = self.practice();
        let (slug, names, _) = PRACTICES[main];
        let mut categories = vec![slug];
        for _ in 0..self.rng.random_range(0..3) {
            let other = PRACTICES[self.practice()].0;
            if !categories.contains(&other) {
                categories.push(other);
            }
        }
        let place = *self.pick(PLACES);
        let name = format!("{} {place}", self.pick(names));
        let description = format!(
            "{} {}. {} {}",
            self.pick(OPENINGS),
            self.pick(PURPOSES),
            self.pick(DETAILS),
            self.pick(DETAILS)
        );
        let mut bytes = [0u8; 10];
        self.rng.fill(&mut bytes);
        // Ids are UUIDv7 one millisecond apart from 2026-01-01, as if created over time.
        let millis = 1_767_225_600_000 + index;
        let id = uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid();
        let street = format!("{} {}", self.rng.random_range(1..180), self.pick(STREETS));
        let website = self
            .rng
            .random_bool(0.6)
            .then(|| format!("https://{}-{index}.example.org", slugify(&name)));
        let phone = self.rng.random_bool(0.5).then(|| {
            format!(
                "0{} {:02} {:02} {:02} {:02}",
                self.rng.random_range(1..6),
                self.rng.random_range(0..100),
                self.rng.random_range(0..100),
                self.rng.random_range(0..100),
                self.rng.random_range(0..100)
            )
        });
        let opening_hours = self.rng.random_bool(0.7).then(|| *self.pick(OPENING_HOURS));
        let tags = (0..self.rng.random_range(0..3))
            .map(|_| *self.pick(TAGS))
            .collect::<Vec<_>>();
        let status = match self.rng.random_range(0..100) {
            0..=2 => "closed",
            3..=9 => "inactive",
            _ => "active",
        };
        let moderation = if self.rng.random_range(0..100) < 2 {
            "pending"
        } else {
            "published"
        };
        Some(Initiative {
            id,
            slug: format!("{}-{index}", slugify(&name)),
            name,
            description,
            lon,
            lat,
            street,
            postcode: postcode.to_string(),
            city: city_name.to_string(),
            website,
            phone,
            opening_hours,
            tags,
            status,
            moderation,
            categories,
            updated_at: chrono::DateTime::from_timestamp_millis(millis as i64).unwrap_or_default(),
        })
    }
}

/// Every practice slug the generator uses.
pub fn practice_slugs() -> Vec<&'static str> {
    PRACTICES.iter().map(|p| p.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_initiatives() {
        let a: Vec<_> = Generator::new(50)
            .map(|i| (i.id, i.name, i.lon.to_bits()))
            .collect();
        let b: Vec<_> = Generator::new(50)
            .map(|i| (i.id, i.name, i.lon.to_bits()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn initiatives_are_in_or_near_france_with_realistic_text() {
        for i in Generator::new(2000) {
            assert!(
                (-6.0..10.0).contains(&i.lon) && (41.0..52.0).contains(&i.lat),
                "{i:?}"
            );
            assert!(
                (120..320).contains(&i.description.chars().count()),
                "{}",
                i.description
            );
            assert!((1..=3).contains(&i.categories.len()));
        }
    }
}
