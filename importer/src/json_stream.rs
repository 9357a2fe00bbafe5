//! Streaming JSON: visit the elements of a large array one at a time, so that memory stays flat
//! whatever the size of the feed.

use crate::error::FeedError;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;
use std::io::Read;

/// Called with (array name, index, element) for each element of the streamed arrays; the name is
/// empty when the document itself is an array.
pub type OnElement<'a> = dyn FnMut(&str, usize, Value) -> Result<(), FeedError> + 'a;

struct Stream<'a, 'b> {
    arrays: &'a [&'a str],
    on_element: &'a RefCell<&'b mut OnElement<'b>>,
    failure: &'a RefCell<Option<FeedError>>,
}

/// What the document held besides the streamed arrays (small members only: large ones are
/// skipped unread).
#[derive(Debug, Default)]
pub struct Rest {
    pub members: Map<String, Value>,
    /// Names of the streamed arrays actually found.
    pub found: Vec<String>,
    pub was_array: bool,
}

struct ArraySeed<'a, 'b> {
    name: String,
    stream: &'a Stream<'a, 'b>,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of records in '{}'", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(element) = seq.next_element::<Value>()? {
            let result = (self.stream.on_element.borrow_mut())(&self.name, index, element);
            if let Err(e) = result {
                *self.stream.failure.borrow_mut() = Some(e);
                return Err(de::Error::custom("stopped"));
            }
            index += 1;
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &Stream<'_, '_> {
    type Value = Rest;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Rest, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &Stream<'_, '_> {
    type Value = Rest;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rest, A::Error> {
        let mut rest = Rest::default();
        while let Some(key) = map.next_key::<String>()? {
            if self.arrays.contains(&key.as_str()) {
                map.next_value_seed(ArraySeed {
                    name: key.clone(),
                    stream: self,
                })?;
                rest.found.push(key);
            } else if rest.members.len() < 64 {
                let value: Value = map.next_value()?;
                rest.members.insert(key, value);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(rest)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Rest, A::Error> {
        ArraySeed {
            name: String::new(),
            stream: self,
        }
        .visit_seq(seq)?;
        Ok(Rest {
            was_array: true,
            ..Rest::default()
        })
    }
}

/// Streams the arrays named `arrays` of the JSON document read from `reader` (or the document
/// itself when it is an array) through `on_element`. `expected` names the format in errors.
pub fn stream<'b>(
    reader: impl Read,
    arrays: &[&str],
    expected: &str,
    on_element: &'b mut OnElement<'b>,
) -> Result<Rest, FeedError> {
    let on_element = RefCell::new(on_element);
    let failure = RefCell::new(None);
    let stream = Stream {
        arrays,
        on_element: &on_element,
        failure: &failure,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = (&stream)
        .deserialize(&mut deserializer)
        .and_then(|rest| deserializer.end().map(|()| rest));
    if let Some(failure) = failure.into_inner() {
        return Err(failure);
    }
    result.map_err(|e| {
        let position = Some(format!("line {}, column {}", e.line(), e.column()));
        let what = match e.classify() {
            serde_json::error::Category::Eof => format!("the file ends in the middle of the JSON document: it looks truncated (expected {expected})"),
            serde_json::error::Category::Syntax => format!("the file is not valid JSON (expected {expected}): {e}"),
            _ => format!("the file is not {expected}: {e}"),
        };
        FeedError::malformed(what.replace(&format!(" at line {} column {}", e.line(), e.column()), ""), position)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(json: &str, arrays: &[&str]) -> Result<(Vec<Value>, Rest), FeedError> {
        let mut seen = Vec::new();
        let mut on = |_: &str, _: usize, v: Value| {
            seen.push(v);
            Ok(())
        };
        let rest = stream(json.as_bytes(), arrays, "a test document", &mut on)?;
        Ok((seen, rest))
    }

    #[test]
    fn elements_arrive_one_by_one_with_the_other_members() {
        let (seen, rest) = collect(
            r#"{"version": 0.6, "elements": [{"id": 1}, {"id": 2}], "remark": "x"}"#,
            &["elements"],
        )
        .unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(rest.members["remark"], "x");
        assert_eq!(rest.found, vec!["elements"]);
    }

    #[test]
    fn a_bare_array_is_streamed_too() {
        let (seen, rest) = collect(r#"[{"id": 1}]"#, &["labs"]).unwrap();
        assert_eq!(seen.len(), 1);
        assert!(rest.was_array);
    }

    #[test]
    fn a_truncated_document_is_an_error_with_its_position() {
        let err = collect("{\"elements\": [{\"id\": 1},\n{\"id\": 2", &["elements"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn csv_is_not_json() {
        let err = collect("name;lat;lon\nx;1;2\n", &["features"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid JSON"), "{err}");
    }
}
