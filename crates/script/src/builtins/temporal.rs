//! Built-ins: temporal family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
