//! Built-ins: construct family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
