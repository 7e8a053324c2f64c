//! Operator overloading: `+ - * /` for every mix of `Value`, `&Value`,
//! `f64` and `i32` (integer literals: `2 * x`), unary `-`, the compound
//! assignments and `Sum`.
//!
//! An `f64` operand becomes a constant ([`Op::Const`](crate::Op::Const)):
//! no gradient, never reported by `backward_checked`; `a - b` and
//! `a / b` are their own ops rather than sugar (see `OPS.md`).

use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::op::Code;
use crate::tape::Value;

/// Implements one binary operator for all eight operand mixes, and its
/// compound assignment for `Value` on the left.
macro_rules! binary_op {
    ($Trait:ident, $method:ident, $Assign:ident, $assign:ident, $code:expr) => {
        impl $Trait<Value> for Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $code as u8 }>(rhs)
            }
        }
        impl $Trait<&Value> for Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: &Value) -> Value {
                self.binary::<{ $code as u8 }>(*rhs)
            }
        }
        impl $Trait<Value> for &Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: Value) -> Value {
                self.binary::<{ $code as u8 }>(rhs)
            }
        }
        impl $Trait<&Value> for &Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: &Value) -> Value {
                self.binary::<{ $code as u8 }>(*rhs)
            }
        }
        impl $Trait<f64> for Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: f64) -> Value {
                self.binary::<{ $code as u8 }>(Value::constant(rhs))
            }
        }
        impl $Trait<f64> for &Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: f64) -> Value {
                self.binary::<{ $code as u8 }>(Value::constant(rhs))
            }
        }
        impl $Trait<Value> for f64 {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: Value) -> Value {
                Value::constant(self).binary::<{ $code as u8 }>(rhs)
            }
        }
        impl $Trait<&Value> for f64 {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: &Value) -> Value {
                Value::constant(self).binary::<{ $code as u8 }>(*rhs)
            }
        }
        impl $Assign<Value> for Value {
            #[inline(always)]
            fn $assign(&mut self, rhs: Value) {
                *self = self.binary::<{ $code as u8 }>(rhs);
            }
        }
        impl $Assign<&Value> for Value {
            #[inline(always)]
            fn $assign(&mut self, rhs: &Value) {
                *self = self.binary::<{ $code as u8 }>(*rhs);
            }
        }
        impl $Assign<f64> for Value {
            #[inline(always)]
            fn $assign(&mut self, rhs: f64) {
                *self = self.binary::<{ $code as u8 }>(Value::constant(rhs));
            }
        }
        // Integer literals, so `2 * x` reads the same on `Value` as in
        // `grad!` (where it is `2.0 * x`): an `i32` is the constant
        // `f64::from(n)`, exact for every `i32`.
        impl $Trait<i32> for Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: i32) -> Value {
                self.binary::<{ $code as u8 }>(Value::constant(f64::from(rhs)))
            }
        }
        impl $Trait<i32> for &Value {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: i32) -> Value {
                self.binary::<{ $code as u8 }>(Value::constant(f64::from(rhs)))
            }
        }
        impl $Trait<Value> for i32 {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: Value) -> Value {
                Value::constant(f64::from(self)).binary::<{ $code as u8 }>(rhs)
            }
        }
        impl $Trait<&Value> for i32 {
            type Output = Value;
            #[inline(always)]
            fn $method(self, rhs: &Value) -> Value {
                Value::constant(f64::from(self)).binary::<{ $code as u8 }>(*rhs)
            }
        }
        impl $Assign<i32> for Value {
            #[inline(always)]
            fn $assign(&mut self, rhs: i32) {
                *self = self.binary::<{ $code as u8 }>(Value::constant(f64::from(rhs)));
            }
        }
    };
}

binary_op!(Add, add, AddAssign, add_assign, Code::Add);
binary_op!(Sub, sub, SubAssign, sub_assign, Code::Sub);
binary_op!(Mul, mul, MulAssign, mul_assign, Code::Mul);
binary_op!(Div, div, DivAssign, div_assign, Code::Div);

impl Neg for Value {
    type Output = Value;
    #[inline(always)]
    fn neg(self) -> Value {
        self.unary::<{ Code::Neg as u8 }>(0)
    }
}

impl Neg for &Value {
    type Output = Value;
    #[inline(always)]
    fn neg(self) -> Value {
        self.unary::<{ Code::Neg as u8 }>(0)
    }
}

/// Adds left to right, starting from the first item (no extra zero node);
/// an empty iterator sums to a constant 0.
///
/// ```
/// use micrograd_runtime::Value;
/// let xs = [Value::new(1.0), Value::new(2.0), Value::new(3.0)];
/// let s: Value = xs.iter().sum();
/// s.backward();
/// assert_eq!((s.data(), xs[1].grad()), (6.0, 1.0));
/// ```
impl Sum for Value {
    fn sum<I: Iterator<Item = Value>>(mut iter: I) -> Value {
        match iter.next() {
            Some(first) => iter.fold(first, |acc, v| acc + v),
            None => Value::constant(0.0),
        }
    }
}

impl<'a> Sum<&'a Value> for Value {
    fn sum<I: Iterator<Item = &'a Value>>(iter: I) -> Value {
        iter.copied().sum()
    }
}
