//! Keeps `schema/` equal to what the models generate, and the specification pinned to the
//! schema it describes.

use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const REGENERATE: &str = "cargo run -p chatport-model --example write_schema";

#[test]
fn committed_schema_matches_the_models() {
    let files = chatport_model::schema::schema_files();
    let mut expected: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    for (name, text) in &files {
        let path = repo().join("schema").join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == *text,
            "schema/{name} differs from what the models generate; run `{REGENERATE}` and commit"
        );
    }
    let mut present: Vec<String> = std::fs::read_dir(repo().join("schema"))
        .expect("schema/ exists")
        .map(|e| {
            e.expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    present.sort();
    expected.sort();
    assert_eq!(
        present, expected,
        "schema/ holds files the models do not generate; run `{REGENERATE}`"
    );
}

#[test]
fn spec_names_the_hash_of_the_schema_it_describes() {
    let (_, schema) = &chatport_model::schema::schema_files()[0];
    let hash: String = Sha256::digest(schema.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let spec =
        std::fs::read_to_string(repo().join("spec/format.md")).expect("spec/format.md exists");
    let line = format!("Schema SHA-256: {hash}");
    assert!(
        spec.contains(&line),
        "the schema changed since spec/format.md was last updated: describe the change in the spec, \
         then set its hash line to `{line}`"
    );
}

#[test]
fn schema_is_draft_2020_12_with_stable_ids() {
    let v = chatport_model::schema::record_schema();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(v["$id"], "urn:chatport:schema:0.1:record");
    let alts = v["oneOf"].as_array().expect("records are a oneOf");
    assert_eq!(alts.len(), 5);
    for t in chatport_model::RecordType::ALL {
        let one = chatport_model::schema::record_type_schema(t);
        assert_eq!(one["properties"]["type"]["const"], t.as_str());
        assert_eq!(one["additionalProperties"], false, "{t} must be closed");
    }
}
