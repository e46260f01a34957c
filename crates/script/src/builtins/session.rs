//! Built-ins: session family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
