//! Built-ins: moving family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
