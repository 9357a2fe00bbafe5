// Embedded migrations (`embed_migrations!`) must be re-read when a migration is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
