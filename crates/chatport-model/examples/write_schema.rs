//! Regenerates the committed schema files under `schema/` from the models:
//! `cargo run -p chatport-model --example write_schema`.

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    std::fs::create_dir_all(&dir)?;
    for (name, text) in chatport_model::schema::schema_files() {
        std::fs::write(dir.join(&name), text)?;
        println!("wrote schema/{name}");
    }
    Ok(())
}
