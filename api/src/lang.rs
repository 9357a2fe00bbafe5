//! The language of a response: French or English, from `Accept-Language` (or `?lang=`).

use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The best of French and English for an `Accept-Language` header; English by default.
    pub fn negotiate(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Lang::En;
        };
        let best = best_of(header, |tag| match tag.split('-').next() {
            Some("fr") => Some(Lang::Fr),
            Some("en") => Some(Lang::En),
            _ => None,
        });
        best.unwrap_or(Lang::En)
    }

    /// `?lang=fr|en` wins over the header, so links and the map's switch can force a language.
    pub fn from_request(headers: &HeaderMap, query: &str) -> Self {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if key == "lang" {
                match value.as_ref() {
                    "fr" => return Lang::Fr,
                    "en" => return Lang::En,
                    _ => {}
                }
            }
        }
        Lang::negotiate(headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    }
}

/// The best choice of a content-negotiation header (`Accept`, `Accept-Language`): each item
/// is offered to `choose` (lower-cased, parameters removed) and the accepted one of highest
/// quality wins; the first among equals; `q=0` never.
pub fn best_of<T>(header: &str, choose: impl Fn(&str) -> Option<T>) -> Option<T> {
    let mut best: Option<(f32, T)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let value = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let Some(choice) = choose(&value) else {
            continue;
        };
        if quality > 0.0 && best.as_ref().is_none_or(|(q, _)| quality > *q) {
            best = Some((quality, choice));
        }
    }
    best.map(|(_, choice)| choice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_first_wins() {
        assert_eq!(Lang::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8")), Lang::Fr);
    }

    #[test]
    fn quality_decides() {
        assert_eq!(Lang::negotiate(Some("de, en;q=0.5, fr;q=0.7")), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("fr;q=0.2, en")), Lang::En);
    }

    #[test]
    fn unknown_languages_fall_back_to_english() {
        assert_eq!(Lang::negotiate(Some("de-DE")), Lang::En);
        assert_eq!(Lang::negotiate(None), Lang::En);
    }
}
