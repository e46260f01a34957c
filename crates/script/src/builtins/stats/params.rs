//! Binding the arguments of a built-in with optional parameters to their slots.
//!
//! DolphinDB lets a call name its arguments (`ewmMean(X=a, com=0.5)`, `tTest(x, , 10.0)`
//! skips one). The interpreter places keyword arguments itself for the built-ins listed in
//! `builtins::signature`; for others it passes them in call order and reports each keyword
//! through `Env::arg_keywords`. A keyword equal to one of the function's parameter names puts
//! the argument in that slot; every other argument keeps its position. A VOID argument (an
//! empty slot) counts as not given.

use value::Value;

use super::super::data_util::bool_arg;
use super::super::Env;
use crate::{bail, Result};

/// The arguments of one call, by parameter slot.
pub(crate) struct Params<'a> {
    func: &'a str,
    names: &'a [&'a str],
    slots: Vec<Option<&'a Value>>,
}

/// Places `args` into the slots of `names` (the function's parameters in order).
pub(crate) fn bind<'a>(
    env: &dyn Env,
    func: &'a str,
    args: &'a [Value],
    names: &'a [&'a str],
) -> Result<Params<'a>> {
    let arg_names = env.arg_keywords();
    let mut slots: Vec<Option<&Value>> = vec![None; names.len()];
    for (i, a) in args.iter().enumerate() {
        let named = arg_names
            .get(i)
            .and_then(|n| n.as_deref())
            .and_then(|n| names.iter().position(|p| *p == n));
        let slot = match named {
            Some(k) => k,
            None if i < names.len() => i,
            None => bail!(
                "The function [{}] expects at most {} argument(s)",
                func,
                names.len()
            ),
        };
        if slots[slot].is_some() && named.is_some() && slot != i {
            bail!(
                "The argument {} of function [{}] is given more than once",
                names[slot],
                func
            );
        }
        slots[slot] = Some(a);
    }
    Ok(Params { func, names, slots })
}

impl<'a> Params<'a> {
    /// The argument in slot `i`, None when absent or VOID.
    pub(crate) fn get(&self, i: usize) -> Option<&'a Value> {
        self.slots
            .get(i)
            .copied()
            .flatten()
            .filter(|v| !v.is_void())
    }

    /// A required argument.
    pub(crate) fn req(&self, i: usize) -> Result<&'a Value> {
        match self.slots.get(i).copied().flatten() {
            Some(v) => Ok(v),
            None => bail!(
                "The argument {} of function [{}] is required",
                self.names.get(i).copied().unwrap_or("?"),
                self.func
            ),
        }
    }

    /// A boolean flag with a default.
    pub(crate) fn flag(&self, i: usize, default: bool) -> Result<bool> {
        match self.get(i) {
            Some(v) => bool_arg(self.func, v, self.names.get(i).copied().unwrap_or("?")),
            None => Ok(default),
        }
    }

    /// A numeric scalar with a default.
    pub(crate) fn number(&self, i: usize, default: f64) -> Result<f64> {
        match self.get(i) {
            Some(v) => match v.as_f64() {
                Some(x) => Ok(x),
                None => bail!(
                    "The argument {} of function [{}] must be a numeric scalar",
                    self.names.get(i).copied().unwrap_or("?"),
                    self.func
                ),
            },
            None => Ok(default),
        }
    }

    /// An optional numeric scalar.
    pub(crate) fn opt_number(&self, i: usize) -> Result<Option<f64>> {
        match self.get(i) {
            Some(_) => self.number(i, 0.0).map(Some),
            None => Ok(None),
        }
    }
}
