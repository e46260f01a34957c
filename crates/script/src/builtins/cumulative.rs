//! Built-ins: cumulative family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
