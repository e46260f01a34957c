//! Built-ins: tables family.

use super::Builtin;

pub fn functions() -> Vec<Builtin> {
    vec![]
}
