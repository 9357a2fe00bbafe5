pub mod categories;
pub mod health;
pub mod initiatives;
pub mod tiles;
pub mod tokens;
