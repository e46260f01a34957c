//! Built-ins: compare family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
