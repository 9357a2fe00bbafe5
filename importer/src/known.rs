//! Recognising feed elements read before. A re-import of a feed that changed little spends most
//! of its time reading elements into records only to find their hash unchanged. Each record
//! imported keeps the digest of the element it came from (`import_digests`); the digest is
//! seeded with everything the reading depends on — the importer's code, the source's format,
//! mapping and taxonomy — so equal digests mean the element would give the same record again,
//! and the run sends only its id and hash.

use archipel_store::error::StoreResult;
use archipel_store::sync::known_records;
use diesel::PgConnection;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A digest: the first 16 bytes of a SHA-256.
pub type ElementDigest = [u8; 16];

/// Digests of a source's feed elements, with the records they gave. Kept compact (about 40
/// bytes a record and its id's text, sorted for a binary search): a run over a million
/// records holds them all.
pub struct Known {
    seed: Sha256,
    entries: Vec<Entry>,
    /// The external ids, end to end.
    ids: String,
}

struct Entry {
    digest: ElementDigest,
    /// The content hash, decoded from its 32 hexadecimal digits.
    hash: [u8; 16],
    id_start: u32,
    id_len: u32,
}

/// The seed of a run's digests: the importer's code, the format, the mapping, the taxonomy.
fn seed(format: &str, mapping: &Value, taxonomy: Option<&Value>) -> Sha256 {
    let mut seed = Sha256::new();
    for part in [
        env!("ARCHIPEL_NORMALISER"),
        format,
        &mapping.to_string(),
        &taxonomy.map(Value::to_string).unwrap_or_default(),
    ] {
        seed.update((part.len() as u64).to_le_bytes());
        seed.update(part.as_bytes());
    }
    seed
}

impl Known {
    /// Nothing known yet: every element is read in full, and its digest taken.
    pub fn none(format: &str, mapping: &Value, taxonomy: Option<&Value>) -> Known {
        Known {
            seed: seed(format, mapping, taxonomy),
            entries: Vec::new(),
            ids: String::new(),
        }
    }

    /// What the source's last runs read (see [`known_records`]).
    pub fn load(
        conn: &mut PgConnection,
        source_id: &str,
        format: &str,
        mapping: &Value,
        taxonomy: Option<&Value>,
    ) -> StoreResult<Known> {
        let mut known = Known::none(format, mapping, taxonomy);
        known_records(conn, source_id, |record| {
            if let Ok(digest) = ElementDigest::try_from(record.digest.as_slice()) {
                known.push(digest, &record.external_id, &record.content_hash);
            }
        })?;
        known.entries.sort_unstable_by_key(|e| e.digest);
        Ok(known)
    }

    /// Remembers that an element of this digest gave the record (`external_id`, `content_hash`).
    /// A hash that is not 32 hexadecimal digits is not remembered (its element is read in full).
    pub fn remember(&mut self, digest: ElementDigest, external_id: &str, content_hash: &str) {
        self.push(digest, external_id, content_hash);
        self.entries.sort_unstable_by_key(|e| e.digest);
    }

    /// Adds an entry at the end (the caller sorts).
    fn push(&mut self, digest: ElementDigest, external_id: &str, content_hash: &str) {
        let (Some(hash), Ok(id_start), Ok(id_len)) = (
            unhex(content_hash),
            u32::try_from(self.ids.len()),
            u32::try_from(external_id.len()),
        ) else {
            return;
        };
        self.ids.push_str(external_id);
        self.entries.push(Entry {
            digest,
            hash,
            id_start,
            id_len,
        });
    }

    /// The digest of an element as parsed (member order included: an element written in another
    /// order is read in full once, then recognised again).
    pub fn digest(&self, element: &Value) -> ElementDigest {
        let mut hasher = self.seed.clone();
        feed(&mut hasher, element);
        let full = hasher.finalize();
        let mut digest = ElementDigest::default();
        digest.copy_from_slice(&full[..16]);
        digest
    }

    /// The (external id, content hash) of the record an element with this digest gave.
    pub fn get(&self, digest: &ElementDigest) -> Option<(&str, String)> {
        let at = self
            .entries
            .binary_search_by_key(digest, |e| e.digest)
            .ok()?;
        let entry = &self.entries[at];
        let start = entry.id_start as usize;
        let id = &self.ids[start..start + entry.id_len as usize];
        Some((id, hex(&entry.hash)))
    }
}

/// Feeds a value to the hasher unambiguously: a tag per kind, lengths before contents.
fn feed(hasher: &mut Sha256, value: &Value) {
    fn text(hasher: &mut Sha256, tag: u8, text: &str) {
        hasher.update([tag]);
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    match value {
        Value::Null => hasher.update([0]),
        Value::Bool(b) => hasher.update([1, u8::from(*b)]),
        Value::Number(n) => text(hasher, 2, &n.to_string()),
        Value::String(s) => text(hasher, 3, s),
        Value::Array(items) => {
            hasher.update([4]);
            hasher.update((items.len() as u64).to_le_bytes());
            for item in items {
                feed(hasher, item);
            }
        }
        Value::Object(members) => {
            hasher.update([5]);
            hasher.update((members.len() as u64).to_le_bytes());
            for (name, member) in members {
                text(hasher, 6, name);
                feed(hasher, member);
            }
        }
    }
}

/// Hex of a digest, as the staging table takes it.
pub fn hex(digest: &[u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(32);
    for byte in digest {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// The 16 bytes of 32 lower-case hexadecimal digits (as [`hex`] writes them back: a known
/// record's hash must come back exactly as its row holds it).
fn unhex(text: &str) -> Option<[u8; 16]> {
    let digits = text.as_bytes();
    if digits.len() != 32
        || !digits
            .iter()
            .all(|d| matches!(d, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *byte = u8::try_from(high * 16 + low).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digests_change_with_the_element_and_with_what_reads_it() {
        let mapping = json!({"fields": {"id": "ref"}});
        let known = Known::none("geojson", &mapping, None);
        let element = json!({"type": "Feature", "properties": {"ref": "a", "name": "Atelier"}});
        let same = json!({"type": "Feature", "properties": {"ref": "a", "name": "Atelier"}});
        assert_eq!(known.digest(&element), known.digest(&same));
        for changed in [
            json!({"type": "Feature", "properties": {"ref": "a", "name": "Atelier "}}),
            json!({"type": "Feature", "properties": {"ref": "a", "name": ["Atelier"]}}),
            json!({"type": "Feature", "properties": {"ref": "a", "nam": "eAtelier"}}),
            json!({"type": "Feature", "properties": {"ref": "a", "name": "Atelier", "x": null}}),
        ] {
            assert_ne!(known.digest(&element), known.digest(&changed), "{changed}");
        }
        for other in [
            Known::none("csv", &mapping, None),
            Known::none("geojson", &json!({"fields": {"id": "id"}}), None),
            Known::none("geojson", &mapping, Some(&json!({"options": []}))),
        ] {
            assert_ne!(known.digest(&element), other.digest(&element));
        }
    }

    #[test]
    fn remembered_records_are_found_by_digest_whatever_the_order() {
        let mut known = Known::none("geojson", &Value::Null, None);
        let hash = |i: u8| hex(&[i; 16]);
        for i in [7u8, 3, 9, 1, 5] {
            known.remember([i; 16], &format!("id-{i}"), &hash(i));
        }
        // Not 32 hexadecimal digits: not remembered.
        known.remember([2; 16], "id-2", "abc");
        known.remember([4; 16], "id-4", &"zz".repeat(16));
        known.remember([6; 16], "id-6", &"AB".repeat(16));
        assert_eq!(known.entries.len(), 5);
        for i in [1u8, 3, 5, 7, 9] {
            assert_eq!(
                known.get(&[i; 16]),
                Some((format!("id-{i}").as_str(), hash(i)))
            );
        }
        for i in [0u8, 2, 4, 6, 10] {
            assert_eq!(known.get(&[i; 16]), None);
        }
    }
}
