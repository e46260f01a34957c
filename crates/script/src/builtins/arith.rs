//! Built-ins: arith family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
