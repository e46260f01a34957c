//! The element types a numeric kernel runs over, and the macro that picks one per call.
//!
//! `Num` gives a kernel what it needs to work on a raw slice: the null sentinel, conversions
//! to and from the accumulator types, and the way back into a `Data` buffer. A kernel is a
//! generic function over `T: Num`; `dispatch_num!` resolves `T` once per call.

use value::{null, Data};

/// A fixed-width numeric element with a null sentinel (BOOL/CHAR share `i8`).
pub trait Num: Copy + PartialOrd + PartialEq + Send + Sync + std::fmt::Debug + 'static {
    const NULL: Self;
    const IS_FLOAT: bool;
    fn is_null(self) -> bool;
    /// The value as f64 (the caller has ruled out null).
    fn to_f64(self) -> f64;
    /// The value as i64 (floats truncate; the caller has ruled out null).
    fn to_i64(self) -> i64;
    /// From f64: NaN and, for integers, out-of-range values become null. Integers truncate.
    fn from_f64(x: f64) -> Self;
    /// From i64, wrapping to the width (as C++ narrowing does); floats convert.
    fn from_i64(x: i64) -> Self;
    fn slice(d: &Data) -> Option<&[Self]>;
    fn into_data(v: Vec<Self>) -> Data;
}

macro_rules! int_num {
    ($t:ty, $nul:expr, $var:ident) => {
        impl Num for $t {
            const NULL: Self = $nul;
            const IS_FLOAT: bool = false;
            #[inline(always)]
            fn is_null(self) -> bool {
                self == $nul
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                // The sentinel itself is not a valid value, so the range starts one above it.
                if x.is_nan() || x <= <$t>::MIN as f64 || x > <$t>::MAX as f64 {
                    $nul
                } else {
                    x as $t
                }
            }
            #[inline(always)]
            fn from_i64(x: i64) -> Self {
                x as $t
            }
            fn slice(d: &Data) -> Option<&[Self]> {
                match d {
                    Data::$var(v) => Some(v),
                    _ => None,
                }
            }
            fn into_data(v: Vec<Self>) -> Data {
                Data::$var(v)
            }
        }
    };
}

int_num!(i8, null::I8, I8);
int_num!(i16, null::I16, I16);
int_num!(i32, null::I32, I32);
int_num!(i64, null::I64, I64);

macro_rules! float_num {
    ($t:ty, $nul:expr, $var:ident) => {
        impl Num for $t {
            const NULL: Self = $nul;
            const IS_FLOAT: bool = true;
            #[inline(always)]
            fn is_null(self) -> bool {
                self == $nul
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                if x.is_nan() {
                    $nul
                } else {
                    x as $t
                }
            }
            #[inline(always)]
            fn from_i64(x: i64) -> Self {
                x as $t
            }
            fn slice(d: &Data) -> Option<&[Self]> {
                match d {
                    Data::$var(v) => Some(v),
                    _ => None,
                }
            }
            fn into_data(v: Vec<Self>) -> Data {
                Data::$var(v)
            }
        }
    };
}

float_num!(f32, null::F32, F32);
float_num!(f64, null::F64, F64);

/// A float result as DolphinDB stores it: NaN becomes the DOUBLE null.
#[inline(always)]
pub fn f64_out(x: f64) -> f64 {
    if x.is_nan() {
        null::F64
    } else {
        x
    }
}

/// Runs `$body` with `$T` the element type of `$data` and `$s` its slice. `$other` handles
/// every non-numeric storage (VOID, I128, strings, symbols, blobs, ANY, array vectors).
macro_rules! dispatch_num {
    ($data:expr, $T:ident, $s:ident => $body:expr, _ => $other:expr) => {
        match $data {
            value::Data::I8($s) => {
                #[allow(dead_code)]
                type $T = i8;
                let $s: &[i8] = $s;
                $body
            }
            value::Data::I16($s) => {
                #[allow(dead_code)]
                type $T = i16;
                let $s: &[i16] = $s;
                $body
            }
            value::Data::I32($s) => {
                #[allow(dead_code)]
                type $T = i32;
                let $s: &[i32] = $s;
                $body
            }
            value::Data::I64($s) => {
                #[allow(dead_code)]
                type $T = i64;
                let $s: &[i64] = $s;
                $body
            }
            value::Data::F32($s) => {
                #[allow(dead_code)]
                type $T = f32;
                let $s: &[f32] = $s;
                $body
            }
            value::Data::F64($s) => {
                #[allow(dead_code)]
                type $T = f64;
                let $s: &[f64] = $s;
                $body
            }
            #[allow(unreachable_patterns)]
            _ => $other,
        }
    };
}
pub(crate) use dispatch_num;

/// Per element: true when not null. Typed for numeric storages, per element otherwise.
pub fn valid_mask(v: &value::Vector) -> Vec<bool> {
    dispatch_num!(&v.data, T, s => s.iter().map(|x| !x.is_null()).collect(), _ => match &v.data {
        Data::Void(n) => vec![false; *n],
        Data::Str(s) => s.iter().map(|x| !x.is_empty()).collect(),
        _ => (0..v.len()).map(|i| !v.is_null(i)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_f64_maps_nan_and_range_to_null() {
        assert_eq!(i32::from_f64(f64::NAN), null::I32);
        assert_eq!(i32::from_f64(3e10), null::I32);
        assert_eq!(i32::from_f64(-2.7), -2);
        assert_eq!(f64::from_f64(f64::NAN), null::F64);
        assert!(i8::NULL.is_null() && !0i8.is_null());
    }
}
