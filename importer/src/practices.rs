//! Built-in rules naming the directory's practices in the words peer maps use: GoGoCarto option
//! names (French), Karte von morgen tags (German and English). A label matches a rule when the
//! rule's words appear in it, in order and side by side, whatever the accents, case, punctuation
//! and plural: "Jardins partagés", "jardin-partage" and "JARDIN PARTAGÉ" all match
//! `jardin partage`.

/// A rule: words (folded, singular) → category slug.
type Rule = (&'static str, &'static str);

/// Rules naming one practice (a category with a family).
const PRACTICES: &[Rule] = &[
    // reuse and repair
    ("repair cafe", "repair-cafe"),
    ("repaircafe", "repair-cafe"),
    ("cafe reparation", "repair-cafe"),
    ("reparatur", "repair-cafe"),
    ("reparaturcafe", "repair-cafe"),
    ("atelier velo", "bike-workshop"),
    ("velo participatif", "bike-workshop"),
    ("velo solidaire", "bike-workshop"),
    ("fahrradwerkstatt", "bike-workshop"),
    ("selbsthilfewerkstatt", "bike-workshop"),
    ("bike kitchen", "bike-workshop"),
    ("recyclerie", "recyclerie"),
    ("ressourcerie", "recyclerie"),
    ("friperie", "second-hand"),
    ("second hand", "second-hand"),
    ("secondhand", "second-hand"),
    ("seconde main", "second-hand"),
    ("depot vente", "second-hand"),
    ("boutique solidaire", "second-hand"),
    ("kleidertausch", "second-hand"),
    ("upcycling", "second-hand"),
    ("reparateur", "repair-shop"),
    // food and gardens
    ("jardin partage", "shared-garden"),
    ("jardin collectif", "shared-garden"),
    ("jardin communautaire", "shared-garden"),
    ("jardin familial", "shared-garden"),
    ("gemeinschaftsgarten", "shared-garden"),
    ("urban gardening", "shared-garden"),
    ("urbangardening", "shared-garden"),
    ("community garden", "shared-garden"),
    ("interkulturellergarten", "shared-garden"),
    ("interkultureller garten", "shared-garden"),
    ("compost", "shared-composting"),
    ("compostage", "shared-composting"),
    ("kompost", "shared-composting"),
    ("amap", "amap"),
    ("solawi", "amap"),
    ("csa", "amap"),
    ("teikei", "amap"),
    ("solidarische landwirtschaft", "amap"),
    ("solidarischelandwirtschaft", "amap"),
    ("community supported agriculture", "amap"),
    ("epicerie cooperative", "cooperative-grocery"),
    ("epicerie participative", "cooperative-grocery"),
    ("supermarche cooperatif", "cooperative-grocery"),
    ("supermarche participatif", "cooperative-grocery"),
    ("foodcoop", "cooperative-grocery"),
    ("food coop", "cooperative-grocery"),
    ("mitgliederladen", "cooperative-grocery"),
    ("grainotheque", "seed-library"),
    ("saatgut", "seed-library"),
    ("saatgutbibliothek", "seed-library"),
    ("seed library", "seed-library"),
    // making and working together
    ("fablab", "fablab"),
    ("fab lab", "fablab"),
    ("makerspace", "fablab"),
    ("hackerspace", "fablab"),
    ("hacklab", "fablab"),
    ("offene werkstatt", "fablab"),
    ("offenewerkstatt", "fablab"),
    ("werkstatt", "fablab"),
    ("tiers lieu", "tiers-lieu"),
    ("tierslieu", "tiers-lieu"),
    ("coworking", "tiers-lieu"),
    ("dritter ort", "tiers-lieu"),
    ("mediation numerique", "digital-inclusion"),
    ("inclusion numerique", "digital-inclusion"),
    ("espace public numerique", "digital-inclusion"),
    // sharing
    ("boite a don", "give-box"),
    ("give box", "give-box"),
    ("givebox", "give-box"),
    ("umsonstladen", "give-box"),
    ("giveaway", "give-box"),
    ("tauschregal", "give-box"),
    ("tauschen", "give-box"),
    ("gratiferia", "give-box"),
    ("zone de gratuite", "give-box"),
    ("foodsharing", "give-box"),
    ("outillotheque", "tool-library"),
    ("outiltheque", "tool-library"),
    ("bibliotheque d objet", "tool-library"),
    ("bibliotheque de chose", "tool-library"),
    ("bibliothek der dinge", "tool-library"),
    ("bibliothekderdinge", "tool-library"),
    ("leihladen", "tool-library"),
    ("werkzeugverleih", "tool-library"),
    ("tool library", "tool-library"),
    ("library of thing", "tool-library"),
    ("boite a livre", "book-box"),
    ("bucherschrank", "book-box"),
    ("buecherschrank", "book-box"),
    ("offener bucherschrank", "book-box"),
    ("offenerbucherschrank", "book-box"),
    ("public bookcase", "book-box"),
    ("book box", "book-box"),
    ("ludotheque", "toy-library"),
    ("toy library", "toy-library"),
    ("spielothek", "toy-library"),
    // solidarity economy and housing
    ("monnaie locale", "local-exchange"),
    ("monnaie citoyenne", "local-exchange"),
    ("systeme d echange local", "local-exchange"),
    ("tauschring", "local-exchange"),
    ("regionalgeld", "local-exchange"),
    ("regiogeld", "local-exchange"),
    ("regionalwahrung", "local-exchange"),
    ("zeitbank", "local-exchange"),
    ("local currency", "local-exchange"),
    ("habitat participatif", "participatory-housing"),
    ("habitat groupe", "participatory-housing"),
    ("wohnprojekt", "participatory-housing"),
    ("gemeinschaftlich wohnen", "participatory-housing"),
    ("okodorf", "participatory-housing"),
    ("oekodorf", "participatory-housing"),
    ("ecovillage", "participatory-housing"),
    ("ecolieu", "participatory-housing"),
    ("cohousing", "participatory-housing"),
    // community and inclusion
    ("cafe associatif", "community-cafe"),
    ("cafe solidaire", "community-cafe"),
    ("nachbarschaftscafe", "community-cafe"),
    ("community cafe", "community-cafe"),
    ("aide alimentaire", "food-bank"),
    ("banque alimentaire", "food-bank"),
    ("epicerie solidaire", "food-bank"),
    ("tafel", "food-bank"),
    ("food bank", "food-bank"),
];

/// Rules naming a whole family, used only when no practice matches the label.
const FAMILIES: &[Rule] = &[
    ("reemploi", "reuse-repair"),
    ("reparation", "reuse-repair"),
    ("reuse", "reuse-repair"),
    ("repair", "reuse-repair"),
    ("zero dechet", "reuse-repair"),
    ("unverpackt", "reuse-repair"),
    ("zero waste", "reuse-repair"),
    ("zerowaste", "reuse-repair"),
    ("agriculture", "food-gardens"),
    ("alimentation", "food-gardens"),
    ("jardin", "food-gardens"),
    ("jardinage", "food-gardens"),
    ("permaculture", "food-gardens"),
    ("circuit court", "food-gardens"),
    ("lebensmittel", "food-gardens"),
    ("landwirtschaft", "food-gardens"),
    ("fabrication", "making-working"),
    ("maker", "making-working"),
    ("partage", "sharing"),
    ("gratuite", "sharing"),
    ("sharing", "sharing"),
    ("teilen", "sharing"),
    ("lastenradverleih", "sharing"),
    ("verschenken", "sharing"),
    ("habitat", "solidarity-economy"),
    ("economie sociale", "solidarity-economy"),
    ("economie solidaire", "solidarity-economy"),
    ("finance solidaire", "solidarity-economy"),
    ("lien social", "social-links"),
    ("solidarite", "social-links"),
    ("inclusion", "social-links"),
    ("nachbarschaft", "social-links"),
];

/// Lower-case, without accents, `œ` and `ß` spelled out: how labels and rules are compared.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// The words of a label, folded and made singular (`jardins` → `jardin`, `lieux` → `lieu`).
fn words(label: &str) -> Vec<String> {
    fold(label)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let plural = w.len() > 3
                && !w.ends_with("ss")
                && !w.ends_with("us")
                && (w.ends_with('s') || w.ends_with('x'));
            if plural { &w[..w.len() - 1] } else { w }.to_string()
        })
        .collect()
}

fn matching(label: &[String], rules: &[Rule]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (rule, slug) in rules {
        // Rules are folded like labels, so "tiers lieu" meets "Tiers-lieux" as "tier lieu".
        let rule = words(rule);
        let found = label.windows(rule.len()).any(|w| w == rule.as_slice());
        if found && !out.contains(slug) {
            out.push(slug);
        }
    }
    out
}

/// The categories a label names: its practices, else its families; empty when none.
pub fn categories_of(label: &str) -> Vec<&'static str> {
    let label = words(label);
    let practices = matching(&label, PRACTICES);
    if practices.is_empty() {
        matching(&label, FAMILIES)
    } else {
        practices
    }
}

/// Whether `slug` is a family (the rules' broad categories), so practices can come first.
pub fn is_family(slug: &str) -> bool {
    FAMILIES.iter().any(|(_, s)| *s == slug)
}

/// Every category slug the rules name (checked against the database's taxonomy in tests).
pub fn slugs() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = PRACTICES.iter().chain(FAMILIES).map(|(_, s)| *s).collect();
    all.sort_unstable();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_option_names_name_practices_whatever_accents_case_and_plural() {
        assert_eq!(categories_of("Jardins partagés"), ["shared-garden"]);
        assert_eq!(categories_of("JARDIN-PARTAGE"), ["shared-garden"]);
        assert_eq!(categories_of("Tiers-lieux"), ["tiers-lieu"]);
        assert_eq!(categories_of("Recyclerie / Ressourcerie"), ["recyclerie"]);
        assert_eq!(categories_of("Boîtes à livres"), ["book-box"]);
        assert_eq!(categories_of("Ludothèque"), ["toy-library"]);
        assert_eq!(
            categories_of("Habitat participatif"),
            ["participatory-housing"]
        );
        assert_eq!(categories_of("Monnaie locale"), ["local-exchange"]);
        assert_eq!(categories_of("AMAP"), ["amap"]);
        assert_eq!(categories_of("Fablab"), ["fablab"]);
    }

    #[test]
    fn broad_names_name_a_family_only_when_no_practice_matches() {
        assert_eq!(
            categories_of("Agriculture & Alimentation"),
            ["food-gardens"]
        );
        assert_eq!(categories_of("Réemploi"), ["reuse-repair"]);
        assert_eq!(categories_of("Réparation"), ["reuse-repair"]);
        assert_eq!(categories_of("Habitat"), ["solidarity-economy"]);
        assert!(categories_of("Voyages").is_empty());
        assert!(categories_of("Mode & Beauté").is_empty());
    }

    #[test]
    fn german_and_english_tags_name_practices() {
        assert_eq!(categories_of("repaircafe"), ["repair-cafe"]);
        assert_eq!(categories_of("urban-gardening"), ["shared-garden"]);
        assert_eq!(categories_of("gemeinschaftsgärten"), ["shared-garden"]);
        assert_eq!(categories_of("bibliothek-der-dinge"), ["tool-library"]);
        assert_eq!(categories_of("makerspace"), ["fablab"]);
        assert_eq!(categories_of("solawi"), ["amap"]);
        assert_eq!(categories_of("unverpackt"), ["reuse-repair"]);
        assert_eq!(categories_of("second-hand"), ["second-hand"]);
        assert!(categories_of("nachhaltigkeit").is_empty());
        // Whole words only: "csa" is not found inside another word.
        assert!(categories_of("csardas").is_empty());
    }
}
