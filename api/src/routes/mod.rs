pub mod categories;
pub mod health;
pub mod initiatives;
pub mod tokens;
