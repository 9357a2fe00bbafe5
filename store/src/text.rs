//! Messages meant for people, in French and English. The store and the importer produce them;
//! the API picks the language the client asked for.

use serde::Serialize;

/// A sentence in both languages Archipel speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub en: String,
    pub fr: String,
}

impl Text {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            fr: fr.into(),
        }
    }

    /// The message in `lang` ("fr" or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "fr" { &self.fr } else { &self.en }
    }
}

/// `text!("English {}", x; "Français {}", x)` builds a [`Text`] from two format strings.
#[macro_export]
macro_rules! text {
    ($en:literal $(, $ea:expr)* ; $fr:literal $(, $fa:expr)* $(,)?) => {
        $crate::Text { en: format!($en $(, $ea)*), fr: format!($fr $(, $fa)*) }
    };
}
