//! Validated values of an initiative. Each `parse` takes what a person or a feed gave and either
//! returns a value that is known to be acceptable, or a [`FieldError`] saying what to change.
//! Nothing reaches the database without passing through here.

use crate::error::FieldError;
use crate::text;
use serde::{Deserialize, Serialize};

/// Name of an initiative: 1 to 200 characters once trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let name = collapse_spaces(raw);
        if name.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                text!("a name is required"; "un nom est obligatoire"),
            ));
        }
        let len = name.chars().count();
        if len > Self::MAX {
            return Err(FieldError::new(
                field,
                "too_long",
                text!("the name has {} characters; at most {} are allowed", len, Self::MAX;
                      "le nom compte {} caractères ; {} au plus sont permis", len, Self::MAX),
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trims, turns control characters and runs of whitespace into single spaces.
fn collapse_spaces(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Free text of at most `max` characters; line breaks are kept, other control characters dropped.
pub fn parse_long_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    let len = cleaned.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            "too_long",
            text!("this text has {} characters; at most {} are allowed", len, max;
                  "ce texte compte {} caractères ; {} au plus sont permis", len, max),
        ));
    }
    Ok(cleaned)
}

/// Short single-line text (street, city, licence…): trimmed, spaces collapsed, `max` characters.
/// Empty becomes `None`.
pub fn parse_short_text(field: &str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let cleaned = collapse_spaces(raw);
    if cleaned.is_empty() {
        return Ok(None);
    }
    let len = cleaned.chars().count();
    if len > max {
        return Err(FieldError::new(
            field,
            "too_long",
            text!("this value has {} characters; at most {} are allowed", len, max;
                  "cette valeur compte {} caractères ; {} au plus sont permis", len, max),
        ));
    }
    Ok(Some(cleaned))
}

/// An absolute http(s) URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let invalid = || {
            FieldError::new(
                field,
                "invalid_url",
                text!("'{}' is not a web address; write it like https://example.org", raw;
                      "« {} » n'est pas une adresse web ; écrivez-la comme https://exemple.fr", raw),
            )
        };
        if raw.len() > 2000 || raw.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let url = url::Url::parse(raw).map_err(|_| invalid())?;
        let host_ok = url
            .host_str()
            .is_some_and(|h| h.contains('.') || h == "localhost");
        if !matches!(url.scheme(), "http" | "https") || !host_ok {
            return Err(invalid());
        }
        Ok(Self(rfc3986(&url)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `url` serialised as an RFC 3986 URI (what `format: uri` promises to API clients): the WHATWG
/// serialisation leaves some characters bare in the path, query and fragment (`[`, `]`, `|`, `^`,
/// `{`, `}`, a second `#`, a `%` not followed by two hex digits…) that RFC 3986 does not allow
/// there; they are percent-encoded.
fn rfc3986(url: &url::Url) -> String {
    use std::fmt::Write;
    let serialised = url.as_str();
    let (head, tail) = serialised.split_at(url[..url::Position::AfterPort].len());
    let mut out = String::with_capacity(serialised.len());
    out.push_str(head);
    let bytes = tail.as_bytes();
    let mut in_fragment = false;
    for (i, &b) in bytes.iter().enumerate() {
        let keep = match b {
            b'%' => {
                bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            }
            b'#' if !in_fragment => {
                in_fragment = true;
                true
            }
            b'#' => false,
            b if b.is_ascii_alphanumeric() => true,
            b => b"-._~:/?@!$&'()*+,;=".contains(&b),
        };
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An e-mail address: one `@`, a non-empty local part, a domain with a dot, no spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let invalid = FieldError::new(
            field,
            "invalid_email",
            text!("'{}' is not an e-mail address", raw; "« {} » n'est pas une adresse électronique", raw),
        );
        let Some((local, domain)) = raw.split_once('@') else {
            return Err(invalid);
        };
        // Host names' rules (RFC 1123): labels of 1 to 63 letters, digits or hyphens, neither
        // first nor last a hyphen; letters may be accented Latin ones (an internationalised
        // address, which the API documents as `idn-email`; other scripts have rules of their
        // own, e.g. for right-to-left labels, that are not checked here).
        let latin_letter = |c: char| matches!(c, '\u{c0}'..='\u{24f}') && c != '×' && c != '÷';
        let label_ok = |label: &str| {
            (1..=63).contains(&label.chars().count())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || latin_letter(c))
        };
        let domain_ok = domain.contains('.') && domain.split('.').all(label_ok);
        // A dot-atom: no dot first, last or twice in a row.
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && local.split('.').all(|atom| !atom.is_empty())
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"@\\".contains(c));
        // Lengths in characters, as JSON Schema's maxLength counts them.
        if raw.chars().count() > 254 || !domain_ok || !local_ok {
            return Err(invalid);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A telephone number as people write it: digits with spaces, dots, dashes, slashes or
/// parentheses, optionally starting with `+`; 3 to 20 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let body = raw.strip_prefix('+').unwrap_or(raw);
        let digits = body.chars().filter(char::is_ascii_digit).count();
        let chars_ok = body
            .chars()
            .all(|c| c.is_ascii_digit() || " .-/()".contains(c));
        if !chars_ok || !(3..=20).contains(&digits) {
            return Err(FieldError::new(
                field,
                "invalid_phone",
                text!("'{}' is not a telephone number; use digits, spaces and an optional leading +", raw;
                      "« {} » n'est pas un numéro de téléphone ; utilisez des chiffres, des espaces et éventuellement un + initial", raw),
            ));
        }
        Ok(Self(collapse_spaces(raw)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Opening hours in OpenStreetMap's `opening_hours` syntax, e.g. `Mo-Fr 09:00-18:00; Sa 10:00-12:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours(String);

impl OpeningHours {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.len() > 1000 {
            return Err(FieldError::new(
                field,
                "too_long",
                text!("opening hours are limited to 1000 characters"; "les horaires sont limités à 1000 caractères"),
            ));
        }
        // Feeds repeat the same few hours on thousands of records, and the grammar's parser was
        // a third of an import's own time (100k records): the texts found valid are remembered,
        // per thread, a bounded number of them.
        const REMEMBERED: usize = 4096;
        thread_local! {
            static VALID: std::cell::RefCell<std::collections::HashSet<String>> =
                std::cell::RefCell::default();
        }
        if VALID.with(|valid| valid.borrow().contains(raw)) {
            return Ok(Self(raw.to_string()));
        }
        match opening_hours_syntax::parse(raw) {
            Ok(_) => {
                VALID.with(|valid| {
                    let mut valid = valid.borrow_mut();
                    if valid.len() >= REMEMBERED {
                        valid.clear();
                    }
                    valid.insert(raw.to_string());
                });
                Ok(Self(raw.to_string()))
            }
            Err(err) => {
                let detail = err.to_string();
                let detail = detail.lines().next().unwrap_or_default().to_string();
                Err(FieldError::new(
                    field,
                    "invalid_opening_hours",
                    text!("'{}' is not in OpenStreetMap opening_hours syntax (e.g. 'Mo-Fr 09:00-18:00; Sa 10:00-12:00'): {}", raw, detail;
                          "« {} » n'est pas au format opening_hours d'OpenStreetMap (par ex. « Mo-Fr 09:00-18:00; Sa 10:00-12:00 ») : {}", raw, detail),
                ))
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// ISO 3166-1 alpha-2 country code, upper case.
pub fn parse_country_code(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            "invalid_country_code",
            text!("'{}' is not a two-letter country code such as FR", raw;
                  "« {} » n'est pas un code pays à deux lettres comme FR", raw),
        ))
    }
}

/// French INSEE commune code: five digits, or 2A/2B and three digits for Corsica.
pub fn parse_insee_code(field: &str, raw: &str) -> Result<String, FieldError> {
    let code = raw.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let ok = bytes.len() == 5
        && (bytes.iter().all(u8::is_ascii_digit)
            || (bytes[0] == b'2'
                && (bytes[1] == b'A' || bytes[1] == b'B')
                && bytes[2..].iter().all(u8::is_ascii_digit)));
    if ok {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            "invalid_insee_code",
            text!("'{}' is not an INSEE commune code (five digits, or 2A/2B and three digits)", raw;
                  "« {} » n'est pas un code commune INSEE (cinq chiffres, ou 2A/2B et trois chiffres)", raw),
        ))
    }
}

/// A free tag: lower-case word(s), 1 to 50 characters.
pub fn parse_tag(field: &str, raw: &str) -> Result<String, FieldError> {
    let tag = collapse_spaces(raw).to_lowercase();
    let len = tag.chars().count();
    if tag.is_empty() || len > 50 {
        return Err(FieldError::new(
            field,
            "invalid_tag",
            text!("a tag must have 1 to 50 characters"; "une étiquette doit compter de 1 à 50 caractères"),
        ));
    }
    Ok(tag)
}

/// A category reference by slug. Whether it exists is checked by the store.
pub fn parse_category_slug(field: &str, raw: &str) -> Result<String, FieldError> {
    let slug = raw.trim();
    let ok = !slug.is_empty()
        && slug.len() <= 60
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(slug.to_string())
    } else {
        Err(FieldError::new(
            field,
            "unknown_category",
            text!("'{}' is not a category; see /api/v1/categories", raw;
                  "« {} » n'est pas une catégorie ; voir /api/v1/categories", raw),
        ))
    }
}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }, $what_en:literal, $what_fr:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    other => {
                        let allowed = [$($text),+].join(", ");
                        Err(FieldError::new(field, concat!("invalid_", stringify!($name)),
                            text!("'{}' is not a valid {}; use one of: {}", other, $what_en, allowed;
                                  "« {} » n'est pas {} valide ; utilisez : {}", other, $what_fr, allowed)))
                    }
                }
            }
        }
    };
}

closed_set!(
    /// Whether the initiative is running.
    Status { Active = "active", Inactive = "inactive", Closed = "closed" },
    "status", "un statut"
);
closed_set!(
    /// Where the initiative stands in moderation; only `published` ones are public. `withdrawn` is
    /// what an import sets when a record leaves its complete feed (and lifts when it comes back);
    /// `merged` is set by a merge only (`store::merge`) and is final.
    Moderation { Pending = "pending", Published = "published", Rejected = "rejected", Archived = "archived", Withdrawn = "withdrawn", Merged = "merged" },
    "moderation state", "un état de modération"
);

impl Moderation {
    /// A state a person may set, or list initiatives in: any but `merged`, which only a merge
    /// sets (and whose initiatives redirect to the kept one instead of being listed).
    pub fn parse_settable(field: &str, raw: &str) -> Result<Self, FieldError> {
        match Self::parse(field, raw)? {
            Moderation::Merged => Err(merged_by_hand(field)),
            state => Ok(state),
        }
    }
}

/// The error of asking for `merged` by hand.
pub fn merged_by_hand(field: &str) -> FieldError {
    FieldError::new(
        field,
        "merged_by_hand",
        text!("'merged' is only set by merging (POST /api/v1/initiatives/{{key}}/merge), and merged initiatives are not listed: they redirect to the one they were merged into";
              "« merged » n'est posé que par une fusion (POST /api/v1/initiatives/{{key}}/merge), et les initiatives fusionnées ne sont pas listées : elles redirigent vers celle avec laquelle elles ont été fusionnées"),
    )
}

/// Values read back from the database were validated when written; these rebuild them as is.
macro_rules! trusted {
    ($($ty:ident),+) => {
        $(impl $ty {
            pub(crate) fn trusted(value: String) -> Self {
                Self(value)
            }
        })+
    };
}
trusted!(Name, WebUrl);

#[cfg(test)]
mod web_url_tests {
    use super::WebUrl;

    #[test]
    fn a_web_address_is_stored_as_an_rfc_3986_uri() {
        let url = WebUrl::parse("links", "https://21.yk/A[,b]|c^d`e{f}?q=[x]#frag#2%zz")
            .expect("a valid web address");
        assert_eq!(
            url.as_str(),
            "https://21.yk/A%5B,b%5D%7Cc%5Ed%60e%7Bf%7D?q=%5Bx%5D#frag%232%25zz"
        );
        // What is already a URI is kept as it is.
        for ok in [
            "https://example.org/a%20b?x=1&y=%C3%A9#top",
            "http://example.org:8080/a/b;c=d",
        ] {
            assert_eq!(WebUrl::parse("links", ok).expect("valid").as_str(), ok);
        }
    }
}

#[cfg(test)]
mod opening_hours_tests {
    use super::OpeningHours;

    #[test]
    fn remembered_hours_are_still_checked_one_text_at_a_time() {
        let valid = "Mo-Fr 09:00-18:00; Sa 10:00-12:00";
        for _ in 0..2 {
            assert_eq!(
                OpeningHours::parse("opening_hours", valid)
                    .unwrap()
                    .as_str(),
                valid
            );
            let err = OpeningHours::parse("opening_hours", "le jeudi de 18h à 19h").unwrap_err();
            assert_eq!(err.code, "invalid_opening_hours");
        }
        // More texts than are remembered: the first ones are forgotten, never mistaken.
        for h in 0..5000 {
            let hours = format!("Mo {:02}:{:02}-23:59", h / 60 % 24, h % 60);
            assert!(
                OpeningHours::parse("opening_hours", &hours).is_ok(),
                "{hours}"
            );
        }
        assert!(OpeningHours::parse("opening_hours", valid).is_ok());
        assert!(OpeningHours::parse("opening_hours", "Mo 25:00-26:00 nonsense").is_err());
    }
}
