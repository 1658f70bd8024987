//! Prints the record schema (development aid).
fn main() {
    println!("{}", chatport_model::schema::record_schema());
}
