//! Built-ins: aggregate family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
