//! Built-ins: strings family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
