//! Built-ins: convert family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
