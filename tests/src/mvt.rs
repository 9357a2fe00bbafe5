//! A small Mapbox Vector Tile reader for tests (protobuf wire format, points only).

use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Layer {
    pub name: String,
    pub extent: u32,
    pub features: Vec<Feature>,
}

#[derive(Debug, Clone)]
pub struct Feature {
    pub properties: Map<String, Value>,
    /// First point of the geometry, in tile units (0..extent).
    pub point: (i64, i64),
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.bytes[self.at];
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }

    fn bytes(&mut self) -> &'a [u8] {
        let len = usize::try_from(self.varint()).expect("length");
        let slice = &self.bytes[self.at..self.at + len];
        self.at += len;
        slice
    }

    fn fixed(&mut self, n: usize) -> &'a [u8] {
        let slice = &self.bytes[self.at..self.at + n];
        self.at += n;
        slice
    }

    /// (field number, wire type)
    fn key(&mut self) -> (u64, u64) {
        let key = self.varint();
        (key >> 3, key & 7)
    }

    fn skip(&mut self, wire: u64) {
        match wire {
            0 => {
                self.varint();
            }
            1 => {
                self.fixed(8);
            }
            2 => {
                self.bytes();
            }
            5 => {
                self.fixed(4);
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
}

fn zigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn packed(bytes: &[u8]) -> Vec<u64> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.done() {
        out.push(r.varint());
    }
    out
}

fn value(bytes: &[u8]) -> Value {
    let mut r = Reader::new(bytes);
    let mut out = Value::Null;
    while !r.done() {
        let (field, wire) = r.key();
        out = match field {
            1 => Value::String(String::from_utf8_lossy(r.bytes()).into_owned()),
            2 => Value::from(f64::from(f32::from_le_bytes(
                r.fixed(4).try_into().expect("f32"),
            ))),
            3 => Value::from(f64::from_le_bytes(r.fixed(8).try_into().expect("f64"))),
            4 | 5 => Value::from(r.varint() as i64),
            6 => Value::from(zigzag(r.varint())),
            7 => Value::Bool(r.varint() != 0),
            _ => {
                r.skip(wire);
                continue;
            }
        };
    }
    out
}

fn layer(bytes: &[u8]) -> Layer {
    let mut r = Reader::new(bytes);
    let (mut name, mut extent) = (String::new(), 4096);
    let (mut keys, mut values, mut raw_features) = (Vec::new(), Vec::new(), Vec::new());
    while !r.done() {
        let (field, wire) = r.key();
        match field {
            1 => name = String::from_utf8_lossy(r.bytes()).into_owned(),
            2 => raw_features.push(r.bytes()),
            3 => keys.push(String::from_utf8_lossy(r.bytes()).into_owned()),
            4 => values.push(value(r.bytes())),
            5 => extent = u32::try_from(r.varint()).expect("extent"),
            _ => r.skip(wire),
        }
    }
    let features = raw_features
        .into_iter()
        .map(|bytes| {
            let mut r = Reader::new(bytes);
            let (mut tags, mut geometry) = (Vec::new(), Vec::new());
            while !r.done() {
                let (field, wire) = r.key();
                match field {
                    2 => tags = packed(r.bytes()),
                    4 => geometry = packed(r.bytes()),
                    _ => r.skip(wire),
                }
            }
            let mut properties = Map::new();
            for pair in tags.chunks(2) {
                properties.insert(
                    keys[pair[0] as usize].clone(),
                    values[pair[1] as usize].clone(),
                );
            }
            let point = if geometry.len() >= 3 {
                (zigzag(geometry[1]), zigzag(geometry[2]))
            } else {
                (0, 0)
            };
            Feature { properties, point }
        })
        .collect();
    Layer {
        name,
        extent,
        features,
    }
}

/// The layers of a tile.
pub fn decode(tile: &[u8]) -> Vec<Layer> {
    let mut r = Reader::new(tile);
    let mut layers = Vec::new();
    while !r.done() {
        let (field, wire) = r.key();
        if field == 3 {
            layers.push(layer(r.bytes()));
        } else {
            r.skip(wire);
        }
    }
    layers
}
