//! Import budgets (written below).
fn main() {}
