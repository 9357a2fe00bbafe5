//! A GoGoCarto map's taxonomy (`/api/taxonomy.json`): it names the option ids that elements
//! carry (`gogocompact` elements carry nothing else), so that the built-in rules and the mapping
//! can read "Jardins partagés" instead of `10429`.
//!
//! The taxonomy is a category (`{name, options: […]}`) or a list of them; each option has an
//! `id`, a `name` and may hold sub-categories (`subcategories: […]`) of its own options.

use crate::properties::text_of;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Clone)]
struct TaxonomyOption {
    name: String,
    parent: Option<String>,
}

/// Option ids → names, with each option's parent option.
#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    options: HashMap<String, TaxonomyOption>,
}

impl Taxonomy {
    /// Reads a taxonomy as GoGoCarto serves it; unknown shapes give an empty taxonomy.
    pub fn from_json(value: &Value) -> Self {
        let mut taxonomy = Self::default();
        taxonomy.top(value);
        taxonomy
    }

    fn top(&mut self, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| self.top(v)),
            Value::Object(o) if o.contains_key("options") => self.category(value, None),
            Value::Object(o) if o.contains_key("subcategories") => self.option(value, None),
            Value::Object(o) => ["data", "taxonomy", "categories"]
                .iter()
                .filter_map(|k| o.get(*k))
                .for_each(|v| self.top(v)),
            _ => {}
        }
    }

    fn category(&mut self, category: &Value, parent: Option<&str>) {
        for option in category
            .get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.option(option, parent);
        }
    }

    fn option(&mut self, option: &Value, parent: Option<&str>) {
        let id = option.get("id").and_then(text_of);
        let name = option.get("name").and_then(text_of);
        if let (Some(id), Some(name)) = (&id, name) {
            self.options.insert(
                id.clone(),
                TaxonomyOption {
                    name,
                    parent: parent.map(str::to_string),
                },
            );
        }
        for sub in option
            .get("subcategories")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.category(sub, id.as_deref().or(parent));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    pub fn len(&self) -> usize {
        self.options.len()
    }

    /// The name of option `id`, when the taxonomy has it.
    pub fn name(&self, id: &str) -> Option<&str> {
        self.options.get(id.trim()).map(|o| o.name.as_str())
    }

    /// The names of the options above `id`, nearest first.
    pub fn ancestors(&self, id: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut current = self
            .options
            .get(id.trim())
            .and_then(|o| o.parent.as_deref());
        while let Some(parent) = current {
            let Some(option) = self.options.get(parent) else {
                break;
            };
            if out.len() > 16 {
                break; // a cycle in a broken taxonomy
            }
            out.push(option.name.as_str());
            current = option.parent.as_deref();
        }
        out
    }
}

/// Where a GoGoCarto map serves its taxonomy, beside its `/api/elements…` URL; None for other
/// URLs (and for local files, which name theirs with the mapping's `taxonomy`).
pub fn location_beside(elements: &str) -> Option<String> {
    let mut url = url::Url::parse(elements).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let path = url.path().to_string();
    let at = path.find("/api/elements")?;
    url.set_path(&format!("{}/api/taxonomy.json", &path[..at]));
    url.set_query(None);
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_options_are_named_with_their_parents() {
        let taxonomy = Taxonomy::from_json(&json!([{
            "name": "Catégories",
            "options": [{
                "id": 1, "name": "Agriculture & Alimentation",
                "subcategories": [{"name": "Type", "options": [
                    {"id": 2, "name": "AMAP"},
                    {"id": "3", "name": "Épicerie"}
                ]}]
            }]
        }]));
        assert_eq!(taxonomy.len(), 3);
        assert_eq!(taxonomy.name("2"), Some("AMAP"));
        assert_eq!(taxonomy.ancestors("3"), ["Agriculture & Alimentation"]);
        assert!(taxonomy.ancestors("1").is_empty());
    }

    #[test]
    fn the_taxonomy_is_found_beside_the_elements() {
        assert_eq!(
            location_beside("https://presdecheznous.gogocarto.fr/api/elements.json?ontology=gogocompact&limit=500")
                .as_deref(),
            Some("https://presdecheznous.gogocarto.fr/api/taxonomy.json")
        );
        assert_eq!(
            location_beside("http://127.0.0.1:8000/instance/api/elements.json").as_deref(),
            Some("http://127.0.0.1:8000/instance/api/taxonomy.json")
        );
        assert_eq!(location_beside("/data/elements.json"), None);
        assert_eq!(location_beside("https://example.org/export.json"), None);
    }
}
