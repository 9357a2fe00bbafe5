pub mod categories;
pub mod health;
pub mod initiatives;
