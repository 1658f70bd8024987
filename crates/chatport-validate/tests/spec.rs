//! Keeps the specification equal to the code: the table of diagnostic codes matches the
//! registry, and every field of the schema is documented.

use chatport_validate::ALL_CODES;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn spec(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn diagnostics_table_matches_the_registry() {
    let text = spec("diagnostics.md");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| E") || l.starts_with("| W"))
        .collect();
    let expected: Vec<String> = ALL_CODES
        .iter()
        .map(|c| {
            format!(
                "| {} | {} | {} | {} |",
                c.code, c.name, c.severity, c.summary
            )
        })
        .collect();
    assert_eq!(
        rows,
        expected.iter().map(String::as_str).collect::<Vec<_>>(),
        "spec/diagnostics.md's table must list every code of codes.rs, in order, with its name, severity and summary"
    );
}

fn property_names(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(props)) = m.get("properties") {
                out.extend(props.keys().cloned());
            }
            m.values().for_each(|x| property_names(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| property_names(x, out)),
        _ => {}
    }
}

#[test]
fn every_schema_field_is_documented() {
    let text = spec("format.md");
    let mut names = BTreeSet::new();
    property_names(&chatport_model::schema::record_schema(), &mut names);
    assert!(names.len() > 100, "only {} fields found", names.len());
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !text.contains(&format!("`{n}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "spec/format.md does not document: {missing:?}"
    );
}
