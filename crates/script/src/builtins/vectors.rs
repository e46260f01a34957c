//! Built-ins: vectors family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
