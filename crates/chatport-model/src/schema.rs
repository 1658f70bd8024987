//! The JSON Schema (draft 2020-12) of the format, generated from the types of this crate. The
//! files under `schema/` in the repository are this output, committed; a test keeps them equal.

use crate::{FORMAT_VERSION, Record, RecordType};
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

/// The `$id` of the whole-record schema for this format version.
pub fn schema_id(name: &str) -> String {
    format!("urn:chatport:schema:{FORMAT_VERSION}:{name}")
}

/// The schema of one archive line: any record, told apart by `type`, with every definition
/// under `$defs`.
pub fn record_schema() -> Value {
    let settings = SchemaSettings::draft2020_12();
    let generator = settings.into_generator();
    let schema = generator.into_root_schema_for::<Record>();
    let mut v = serde_json::to_value(schema).unwrap_or(Value::Null);
    tidy_descriptions(&mut v);
    if let Value::Object(map) = &mut v {
        let mut out = serde_json::Map::new();
        out.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        out.insert("$id".into(), json!(schema_id("record")));
        out.insert("x-chatport-version".into(), json!(FORMAT_VERSION));
        for (k, val) in std::mem::take(map) {
            if k != "$schema" {
                out.insert(k, val);
            }
        }
        *map = out;
    }
    v
}

/// The schema of one record type alone: the record's definition with the `type` field it must
/// carry, and every definition it uses.
pub fn record_type_schema(t: RecordType) -> Value {
    let whole = record_schema();
    let defs = whole.get("$defs").cloned().unwrap_or_else(|| json!({}));
    let variant = whole
        .get("oneOf")
        .and_then(Value::as_array)
        .and_then(|alts| {
            alts.iter().find(|alt| {
                alt.pointer("/properties/type/const")
                    .and_then(Value::as_str)
                    == Some(t.as_str())
            })
        })
        .cloned()
        .unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    out.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    out.insert("$id".into(), json!(schema_id(t.as_str())));
    out.insert("x-chatport-version".into(), json!(FORMAT_VERSION));
    if let Value::Object(m) = variant {
        out.extend(m);
    }
    out.insert("$defs".into(), defs);
    Value::Object(out)
}

/// Every schema file under `schema/`, as (file name, pretty JSON with a trailing newline).
pub fn schema_files() -> Vec<(String, String)> {
    let mut files = vec![("record.schema.json".to_owned(), render(&record_schema()))];
    for t in RecordType::ALL {
        files.push((format!("{t}.schema.json"), render(&record_type_schema(t))));
    }
    files
}

fn render(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

// Doc comments are written for Rust readers too; in the schema, intra-doc links become plain code.
fn tidy_descriptions(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                match val {
                    Value::String(s) if k == "description" => {
                        *s = s.replace("[`", "`").replace("`]", "`");
                    }
                    _ => tidy_descriptions(val),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}
