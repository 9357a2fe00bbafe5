pub mod categories;
pub mod frontend;
pub mod health;
pub mod imports;
pub mod initiatives;
pub mod suggestions;
pub mod tiles;
pub mod tokens;
