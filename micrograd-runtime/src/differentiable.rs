//! What `#[differentiable]` functions and the `grad!` code that calls them
//! share: the trait that shapes the error for a call of a plain function,
//! the shapes of a call's gradient, and the `Value` node of a custom
//! derivative.
//!
//! Everything here is used by generated code; users meet only the error
//! message of [`Differentiable`] and the signature rule of a custom
//! pullback (see `#[differentiable]` in `micrograd`).

use crate::tape::Value;

/// Implemented by the companion that `#[differentiable]` puts next to a
/// function (a braced struct of the same name, in the type namespace, so it
/// travels with the function through `use` and renames).
///
/// A call inside `grad!` of a function without one fails to compile with
/// this trait's message, at the call.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `#[differentiable]`, so `grad!` cannot differentiate through this call",
    label = "called inside `grad!` (or a `#[differentiable]` function) here",
    note = "add `#[micrograd::differentiable]` to the function, or give it a custom derivative with `#[micrograd::differentiable(pullback = my_pullback)]`"
)]
pub trait Differentiable {}

/// Implemented by the companion of a `#[differentiable]` function that
/// returns `f64`: a call inside `grad!` used as a number checks it, so a
/// function that returns an array, used as a number, is one error at the
/// call with this message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` returns an array, not a number",
    label = "returns an array",
    note = "bind its result with `let` and index it: `let y = f(..); y[0]`"
)]
pub trait ReturnsNumber {}

/// Implemented by the companion of a `#[differentiable]` function that
/// returns an array: `let y = f(..);` indexed later checks it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` returns a number, not an array",
    label = "returns `f64`, but its result is indexed",
    note = "use the result as a number, or make the function return an array (`-> [f64; N]`)"
)]
pub trait ReturnsArray {}

/// The check of a call used as a number (see [`ReturnsNumber`]).
#[doc(hidden)]
#[inline(always)]
pub fn returns_number<C: ReturnsNumber>() {}

/// The check of a call whose result is indexed (see [`ReturnsArray`]).
#[doc(hidden)]
#[inline(always)]
pub fn returns_array<C: ReturnsArray>() {}

/// Implemented by the companion of a `#[differentiable]` function of `N`
/// parameters: each call inside `grad!` checks the number of arguments it
/// passes, so a wrong count is one error at the call with this message.
#[diagnostic::on_unimplemented(
    message = "wrong number of arguments in this call of `{Self}` ({N} passed)",
    label = "{N} passed here",
    note = "pass one argument per parameter of the function (the help below gives the count)"
)]
pub trait TakesArguments<const N: usize> {}

/// The check of a call's number of arguments (see [`TakesArguments`]).
#[doc(hidden)]
#[inline(always)]
pub fn takes_arguments<C: TakesArguments<N>, const N: usize>() {}

/// Implemented by the companion of a `#[differentiable]` function for
/// each parameter `I` and each argument type `A` it takes there (`f64`,
/// `[f64; 3]`, `&[f64; 3]`; a slice parameter takes `&[f64]` and
/// `&[f64; N]`): each argument of a call inside `grad!` whose type the
/// macro knows checks it, so a number passed for an array, a wrong length
/// or a missing `&` is one error at the argument.
#[diagnostic::on_unimplemented(
    message = "this argument of `{Self}` has type `{A}`, which its parameter does not take",
    label = "`{A}` passed here",
    note = "the help gives the type the function expects for argument {I} (counting from 0); pass an array parameter as `w` to `[f64; N]`, and as `&w` to `&[f64; N]` or `&[f64]`"
)]
pub trait Accepts<const I: usize, A> {}

/// The check of one argument's type (see [`Accepts`]).
#[doc(hidden)]
#[inline(always)]
pub fn accepts<C: Accepts<I, A>, const I: usize, A>() {}

/// Takes any argument: what the check of an argument uses when the call
/// passes the wrong number of them (that is the call's one error).
#[doc(hidden)]
pub struct AnyArguments {}
#[diagnostic::do_not_recommend]
impl<const I: usize, A> Accepts<I, A> for AnyArguments {}

/// The shape of a parameter or argument type, as a constant, so a call can
/// choose at compile time between the companion and stubs of any type
/// (see [`Pick`]): kind 0 `f64`, 1 an array, 2 `&` an array, 3 a slice.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct ArgShape {
    kind: u8,
    rank: usize,
    dims: [usize; 8],
}

impl ArgShape {
    const fn array(n: usize, elem: ArgShape, kind: u8) -> ArgShape {
        let mut dims = [0; 8];
        dims[0] = n;
        let mut k = 0;
        while k < elem.rank && k + 1 < 8 {
            dims[k + 1] = elem.dims[k];
            k += 1;
        }
        // An array of something other than `f64` or arrays of it.
        let kind = if elem.kind <= 1 { kind } else { 255 };
        ArgShape {
            kind,
            rank: elem.rank + 1,
            dims,
        }
    }

    const fn same(a: &ArgShape, b: &ArgShape) -> bool {
        if a.kind != b.kind || a.rank != b.rank {
            return false;
        }
        let mut k = 0;
        while k < a.rank && k < 8 {
            if a.dims[k] != b.dims[k] {
                return false;
            }
            k += 1;
        }
        true
    }
}

/// The [`ArgShape`] of a type.
#[doc(hidden)]
pub trait Shape {
    /// Its shape.
    const SHAPE: ArgShape;
}
impl Shape for f64 {
    const SHAPE: ArgShape = ArgShape {
        kind: 0,
        rank: 0,
        dims: [0; 8],
    };
}
impl<T: Shape, const N: usize> Shape for [T; N] {
    const SHAPE: ArgShape = ArgShape::array(N, T::SHAPE, 1);
}
impl<T: Shape, const N: usize> Shape for &[T; N] {
    const SHAPE: ArgShape = ArgShape::array(N, T::SHAPE, 2);
}
impl Shape for &[f64] {
    const SHAPE: ArgShape = ArgShape {
        kind: 3,
        rank: 1,
        dims: [0; 8],
    };
}

/// Whether a call's arguments (`None`: a type the macro does not know,
/// such as captured data) fit the parameters: the same shapes, or `&` an
/// array of one dimension for a slice.
#[doc(hidden)]
pub const fn fits(params: &[ArgShape], args: &[Option<ArgShape>]) -> bool {
    if params.len() != args.len() {
        return false;
    }
    let mut k = 0;
    while k < params.len() {
        if let Some(a) = &args[k] {
            let p = &params[k];
            let slice_of_array = p.kind == 3 && a.kind == 2 && a.rank == 1;
            if !ArgShape::same(p, a) && !slice_of_array {
                return false;
            }
        }
        k += 1;
    }
    true
}

/// `Select<true>` picks `A`, `Select<false>` picks `B` (see [`Pick`]).
#[doc(hidden)]
pub struct Select<const PICK_FIRST: bool>;

/// The companion a call uses: the function's when the call passes as many
/// arguments as the function takes, else stubs of any type, so a wrong
/// count is only the error of [`TakesArguments`], not also the types of
/// the code around the call.
#[doc(hidden)]
pub trait Pick<A, B> {
    /// `A` or `B`.
    type T;
}
impl<A, B> Pick<A, B> for Select<true> {
    type T = A;
}
impl<A, B> Pick<A, B> for Select<false> {
    type T = B;
}

/// What a name called inside `grad!` stands for when no item of that name
/// is in scope: a closure or another local variable (`let h = |x| ..;
/// grad!(|x| h(x))`), which `grad!` cannot differentiate through.
#[doc(hidden)]
pub struct LocalVariable {}
#[diagnostic::do_not_recommend]
impl Differentiable for LocalVariable {}

/// Implemented by function items (which are `Copy`), not by
/// [`LocalVariable`]: a call of a closure or other local variable inside
/// `grad!` is one error at the call with this message.
#[diagnostic::on_unimplemented(
    message = "a closure or local variable is called inside `grad!`, which calls `#[differentiable]` functions",
    label = "a local variable, not a function item",
    note = "write it as a function with `#[micrograd::differentiable]` (`#[differentiable] fn h(x: f64) -> f64 {{ .. }}`) and call that"
)]
pub trait FunctionItem {}
impl<T: Copy> FunctionItem for T {}

/// The check that a called name is a function item (see [`FunctionItem`]).
#[doc(hidden)]
#[inline(always)]
pub fn function_item<F: FunctionItem>(_: F) {}

/// A companion of no function, so the trait has an implementation and
/// rustc's message stays the one above.
#[doc(hidden)]
pub struct NoFunction {}
#[diagnostic::do_not_recommend]
impl Differentiable for NoFunction {}
#[diagnostic::do_not_recommend]
impl ReturnsNumber for NoFunction {}
#[diagnostic::do_not_recommend]
impl ReturnsArray for NoFunction {}
#[diagnostic::do_not_recommend]
impl TakesArguments<0> for NoFunction {}

/// The gradient of one argument of a call: `f64` for `f64`, the same
/// array for an array (by value or by reference), a `Vec<f64>` for a slice.
pub trait ArgGrad {
    /// The gradient's type.
    type Grad;
}

impl ArgGrad for f64 {
    type Grad = f64;
}
impl<T: ArgGrad, const N: usize> ArgGrad for [T; N] {
    type Grad = [T::Grad; N];
}
impl<T: ArgGrad, const N: usize> ArgGrad for &[T; N] {
    type Grad = [T::Grad; N];
}
impl ArgGrad for &[f64] {
    type Grad = Vec<f64>;
}
/// The dual numbers of `hessian!` and `hvp!` (a companion's
/// `__mg_dual_vjp`): the adjoint of a dual number is one.
impl<const N: usize> ArgGrad for crate::dual::Dual<N> {
    type Grad = crate::dual::Dual<N>;
}

/// The gradients of a call's arguments, one per argument, as a tuple.
pub trait CallArgs {
    /// `(G1, ..., Gk)`.
    type Grads;
}

macro_rules! call_args {
    ($($t:ident),*) => {
        impl<$($t: ArgGrad),*> CallArgs for ($($t,)*) {
            type Grads = ($($t::Grad,)*);
        }
    };
}
call_args!(A);
call_args!(A, B);
call_args!(A, B, C);
call_args!(A, B, C, D);
call_args!(A, B, C, D, E);
call_args!(A, B, C, D, E, F);
call_args!(A, B, C, D, E, F, G);
call_args!(A, B, C, D, E, F, G, H);
call_args!(A, B, C, D, E, F, G, H, I);
call_args!(A, B, C, D, E, F, G, H, I, J);
call_args!(A, B, C, D, E, F, G, H, I, J, K);
call_args!(A, B, C, D, E, F, G, H, I, J, K, L);

/// `dst += src`, element by element: a call's adjoint of an array
/// argument added into the caller's adjoint of that array. `S` is the
/// adjoint's type: the array's own, or a `Vec<f64>` when the array was
/// passed to a slice parameter (`fn total(x: &[f64])` called as
/// `total(&x)`), whose pullback returns the adjoint as a `Vec`.
pub trait AddInto<S: ?Sized = Self> {
    /// Adds `src` to `self`.
    fn add_from(&mut self, src: &S);
}

impl AddInto for f64 {
    #[inline]
    fn add_from(&mut self, src: &f64) {
        *self += *src;
    }
}
impl<const N: usize> AddInto for crate::dual::Dual<N> {
    #[inline]
    fn add_from(&mut self, src: &Self) {
        *self += *src;
    }
}
impl<T: AddInto, const N: usize> AddInto for [T; N] {
    #[inline]
    fn add_from(&mut self, src: &Self) {
        for (d, s) in self.iter_mut().zip(src) {
            d.add_from(s);
        }
    }
}
impl<T: AddInto> AddInto for Vec<T> {
    #[inline]
    fn add_from(&mut self, src: &Self) {
        for (d, s) in self.iter_mut().zip(src) {
            d.add_from(s);
        }
    }
}
/// An array passed to a slice parameter: the slice's adjoint (a `Vec` of
/// the array's length) added element by element.
impl<const N: usize> AddInto<Vec<f64>> for [f64; N] {
    #[inline]
    fn add_from(&mut self, src: &Vec<f64>) {
        for (d, s) in self.iter_mut().zip(src) {
            *d += *s;
        }
    }
}

/// Data (`f64`, arrays of them) as constant dual numbers `Dual<N>`: an
/// array of captured data passed to a function called in `hessian!` or
/// `hvp!` (whose second-order code takes dual numbers).
pub trait ToDuals<const N: usize> {
    /// The same shape of `Dual<N>`.
    type Duals;
    /// Each element as `Dual::cst`.
    fn to_duals(&self) -> Self::Duals;
}

impl<const N: usize> ToDuals<N> for f64 {
    type Duals = crate::dual::Dual<N>;
    #[inline]
    fn to_duals(&self) -> Self::Duals {
        crate::dual::Dual::cst(*self)
    }
}
impl<T: ToDuals<N>, const N: usize, const M: usize> ToDuals<N> for [T; M] {
    type Duals = [T::Duals; M];
    #[inline]
    fn to_duals(&self) -> Self::Duals {
        ::core::array::from_fn(|k| self[k].to_duals())
    }
}

impl<T: ToDuals<N> + ?Sized, const N: usize> ToDuals<N> for &T {
    type Duals = T::Duals;
    #[inline]
    fn to_duals(&self) -> Self::Duals {
        (**self).to_duals()
    }
}

/// `x` as constant dual numbers (see [`ToDuals`]).
#[inline]
pub fn to_duals<T: ToDuals<N>, const N: usize>(x: &T) -> T::Duals {
    x.to_duals()
}

/// `*dst += src` element by element (see [`AddInto`]).
#[inline]
pub fn add_into<T: AddInto<S>, S>(dst: &mut T, src: &S) {
    dst.add_from(src);
}

/// The residuals of a call of a function that is not `#[differentiable]`
/// (never made: such a call is a compile error; this keeps its types
/// whole so that error is the only one).
#[doc(hidden)]
pub struct Residuals<A>(std::marker::PhantomData<A>);

/// `f64` data as `Value` leaves of the same shape (captured data passed to
/// a function in `compare!`'s `Value` replay).
pub trait ToValues {
    /// The same shape of `Value`s.
    type Values;
    /// Each number as a new leaf.
    fn to_values(&self) -> Self::Values;
}

impl ToValues for f64 {
    type Values = Value;
    fn to_values(&self) -> Value {
        Value::new(*self)
    }
}
impl<T: ToValues, const N: usize> ToValues for [T; N] {
    type Values = [T::Values; N];
    fn to_values(&self) -> Self::Values {
        std::array::from_fn(|i| self[i].to_values())
    }
}
impl<T: ToValues> ToValues for [T] {
    type Values = Vec<T::Values>;
    fn to_values(&self) -> Self::Values {
        self.iter().map(ToValues::to_values).collect()
    }
}
impl<T: ToValues + ?Sized> ToValues for &T {
    type Values = T::Values;
    fn to_values(&self) -> Self::Values {
        (**self).to_values()
    }
}
impl<T: ToValues> ToValues for Vec<T> {
    type Values = Vec<T::Values>;
    fn to_values(&self) -> Self::Values {
        self.iter().map(ToValues::to_values).collect()
    }
}

/// The data of `Value` arguments, in the same shape of `f64`s (a
/// slice's as a `Vec`), to call a custom pullback in the `Value` replay.
pub trait ToData {
    /// The same shape of `f64`s.
    type Data;
    /// Each value's data.
    fn to_data(&self) -> Self::Data;
}

impl ToData for Value {
    type Data = f64;
    fn to_data(&self) -> f64 {
        self.data()
    }
}
impl<T: ToData, const N: usize> ToData for [T; N] {
    type Data = [T::Data; N];
    fn to_data(&self) -> Self::Data {
        std::array::from_fn(|i| self[i].to_data())
    }
}
impl<T: ToData, const N: usize> ToData for &[T; N] {
    type Data = [T::Data; N];
    fn to_data(&self) -> Self::Data {
        (*self).to_data()
    }
}
impl<T: ToData> ToData for [T] {
    type Data = Vec<T::Data>;
    fn to_data(&self) -> Self::Data {
        self.iter().map(ToData::to_data).collect()
    }
}

/// Flattens `Value` arguments and their custom partial derivatives into
/// the lists [`linear`] takes.
pub trait Linearize {
    /// The partial derivatives of the same shape (`f64`, arrays, `Vec`).
    type Partials;
    /// Appends each `Value` with its partial derivative.
    fn linearize(&self, partials: &Self::Partials, out: &mut Vec<(Value, f64)>);
}

impl Linearize for Value {
    type Partials = f64;
    fn linearize(&self, partials: &f64, out: &mut Vec<(Value, f64)>) {
        out.push((*self, *partials));
    }
}
impl<T: Linearize, const N: usize> Linearize for [T; N] {
    type Partials = [T::Partials; N];
    fn linearize(&self, partials: &Self::Partials, out: &mut Vec<(Value, f64)>) {
        for (x, p) in self.iter().zip(partials) {
            x.linearize(p, out);
        }
    }
}
impl<T: Linearize, const N: usize> Linearize for &[T; N] {
    type Partials = [T::Partials; N];
    fn linearize(&self, partials: &Self::Partials, out: &mut Vec<(Value, f64)>) {
        (*self).linearize(partials, out);
    }
}
impl<T: Linearize<Partials = f64>> Linearize for &[T] {
    type Partials = Vec<f64>;
    fn linearize(&self, partials: &Vec<f64>, out: &mut Vec<(Value, f64)>) {
        for (x, p) in self.iter().zip(partials) {
            x.linearize(p, out);
        }
    }
}

/// The `Value` node of a function with a custom derivative: data `value`
/// exactly, and `d out / d x_i = p_i` for each `(x_i, p_i)`, the partial
/// derivatives that the user's pullback gave at the point.
///
/// Built from ops the tape already has, so the engine's op table is
/// unchanged: `(x_i - x_i.data) * p_i` is exactly 0 with derivative `p_i`
/// (a constant), their sum plus `value` is exactly `value` (`0 + v = v`,
/// except that `-0.0` becomes `0.0`), and the chain rule through `+` and
/// `- const` multiplies by 1, so each partial reaches its input exactly.
pub fn linear(value: f64, inputs: &[(Value, f64)]) -> Value {
    let mut sum: Option<Value> = None;
    for &(x, p) in inputs {
        if p == 0.0 {
            continue;
        }
        let term = (x - x.data()) * p;
        sum = Some(match sum {
            Some(s) => s + term,
            None => term,
        });
    }
    match sum {
        Some(s) => s + value,
        None => Value::new(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_has_the_value_and_the_partials() {
        // out = 2.5 with d/dx = 3, d/dy = -0.5 at any x, y.
        let (x, y) = (Value::new(1.25), Value::new(-4.0));
        let out = linear(2.5, &[(x, 3.0), (y, -0.5)]);
        assert_eq!(out.data(), 2.5);
        out.backward();
        assert_eq!((x.grad(), y.grad()), (3.0, -0.5));
    }
}
