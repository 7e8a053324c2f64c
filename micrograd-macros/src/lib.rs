//! Procedural macros of the `micrograd` crate. Use them through `micrograd`.
//!
//! Stages, one file each: `parse` (the closure), `lower` (syntax -> SSA IR,
//! the one place that rejects input), `ir`, `rules` (the derivative table of
//! `OPS.md`), `diff` (the reverse sweep), `codegen` and `dot` (outputs).
#![forbid(unsafe_code)]

mod codegen;
mod diff;
mod dot;
mod expand;
#[cfg(test)]
mod fuzz_tests;
mod ir;
mod lower;
mod parse;
mod rules;

use proc_macro::TokenStream;

/// Compiles a closure of `f64` arithmetic into straight-line forward and
/// reverse-mode code: the result is a `move` closure
/// `Fn(f64, ..) -> (f64, [f64; N])` returning the value and the gradient
/// with respect to the N parameters, in parameter order.
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad;
///
/// // The neuron from the micrograd lecture: o = tanh(x1 w1 + x2 w2 + b).
/// let neuron = grad!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
/// let (o, [dx1, dx2, dw1, dw2, db]) = neuron(2.0, 0.0, -3.0, 1.0, 6.8813735870195432);
/// // o = 1/sqrt(2), so do/dn = 1 - o^2 = 0.5 and each input gets its
/// // partner times 0.5.
/// assert!((o - 0.5_f64.sqrt()).abs() < 1e-12);
/// for (got, want) in [(dx1, -1.5), (dx2, 0.5), (dw1, 1.0), (dw2, 0.0), (db, 0.5)] {
///     assert!((got - want).abs() < 1e-12);
/// }
/// ```
///
/// # What it expands to
///
/// No graph and no allocation: one `let` per operation (SSA form), then
/// the adjoints from the output back to the inputs, each edge of the
/// expression once. For `grad!(|x, y| x * y + x.tanh())` the expansion is
/// this closure (as printed by [`grad_code!`]; `__mg_p*` are the parameters,
/// `__mg_v*` the forward values, `__mg_g*` their adjoints), bound in a block
/// that turns clippy off for generated code:
///
/// ```
/// # use micrograd_macros as micrograd;
/// # let code = micrograd::grad_code!(|x, y| x * y + x.tanh());
/// # let expected = r#"
/// move |__mg_p0: ::core::primitive::f64, __mg_p1: ::core::primitive::f64|
///     -> (::core::primitive::f64, [::core::primitive::f64; 2]) {
///     let __mg_v0 = __mg_p0 * __mg_p1;               // x * y
///     let __mg_v1 = __mg_p0.tanh();                  // x.tanh()
///     let __mg_v2 = __mg_v0 + __mg_v1;               // the output
///     let __mg_g0 = 1.0;                             // d out / d v0
///     let __mg_g1 = 1.0;                             // d out / d v1
///     let mut __mg_gp0 = __mg_g1 * (1.0 - __mg_v1 * __mg_v1); // tanh' = 1 - y^2
///     __mg_gp0 += __mg_g0 * __mg_p1;                 // x is used twice
///     let __mg_gp1 = __mg_g0 * __mg_p0;
///     (__mg_v2, [__mg_gp0, __mg_gp1])
/// }
/// # "#;
/// # // Every generated statement above appears, in this order, in grad_code!.
/// # let mut rest: &str = code;
/// # for line in expected.lines().map(|l| l.split("//").next().unwrap().trim()) {
/// #     if line.starts_with("let") || line.starts_with("__mg_gp0 +=") {
/// #         let at = rest.find(line).unwrap_or_else(|| panic!("{line} not in {code}"));
/// #         rest = &rest[at..];
/// #     }
/// # }
/// ```
///
/// The output grows linearly with the input (one forward line per op, one
/// adjoint line per edge; about 5 output tokens per input token), so there
/// is no symbolic expression swell. Subexpressions made only of literals
/// are folded at expansion time (`2.0 * 3.0 * x` multiplies by `6.0`), and
/// values that depend only on constants get no adjoint. Generated names
/// start with `__mg_` and paths are fully qualified, so they cannot clash
/// with yours.
///
/// # Accepted input
///
/// ```text
/// grad!( move? |p1, p2, ...| body )    at least one parameter
/// param := name | name: f64
/// body  := expr | { stmt* expr }
/// stmt  := let name (: f64)? = expr;  |  let mut name = expr;
///        | name = expr;  |  name += expr;  (also -=, *=, /=; `let mut` names only)
/// expr  := number | name | path | ( expr ) | -expr | expr (+ | - | * | /) expr
///        | expr.method() | expr.powi(INT) | expr.powf(expr) | { stmt* expr }
/// method := exp | ln | sqrt | tanh | sin | cos | abs | relu | sigmoid
/// ```
///
/// - Integer literals are `f64`: `2 * x` is `2.0 * x`.
/// - A name that is not a parameter or a `let` of the body, and any path
///   (`w`, `PI`, `core::f64::consts::PI`), is an outer constant captured by
///   the closure: it must be an `f64` (a type error points at it) and no
///   gradient flows into it.
/// - `let mut c = ...; c += c + 1;` is the same as `let c = c + (c + 1);`.
/// - `powi` takes an integer literal; `powf`'s exponent may be a constant
///   or any differentiable expression (`x.powf(y)`).
///
/// Anything else (`%`, `&&`, comparisons, bit operators, other methods,
/// `if`/`match`/loops/`return`, nested closures, macro calls, indexing,
/// field access, function calls, assignment to a parameter or a non-`mut`
/// name, a body without a final expression) is a compile error at the
/// offending tokens that says what is supported; several are reported at
/// once. The macro never panics.
///
/// # Conventions
///
/// The derivative rules are the shared table of the repository's `OPS.md`,
/// the same as the dynamic `Value` engine's:
/// - kinks: `relu'(0) = 0` and `abs'(0) = 0`;
/// - `tanh` goes through `f64::tanh`; `sigmoid` uses `1 / (1 + e^-x)` for
///   `x >= 0` and `e^x / (1 + e^x)` below, so neither tail overflows;
/// - derivatives reuse forward results where exact: `tanh' = 1 - y^2`,
///   `exp' = y`, `sigmoid' = y (1 - y)`, `sqrt' = 0.5 / y`;
/// - `powf`'s exponent derivative `y ln(x)` is taken as 0 where `y == 0`;
/// - outside an op's domain (`ln` of a negative number) the value is NaN,
///   exactly as `f64` gives it.
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad;
///
/// let w = 0.5; // captured: a constant, no gradient
/// let f = grad!(|x: f64, y: f64| {
///     let mut c = x * y;
///     c += c + 1;           // c = 2xy + 1
///     (w * c).relu() + x.abs()
/// });
/// // At x = 0 the abs kink contributes 0; relu is active (c = 1 > 0):
/// // d/dx = w * 2y = 2, d/dy = w * 2x = 0.
/// assert_eq!(f(0.0, 2.0), (0.5, [2.0, 0.0]));
/// ```
#[proc_macro]
pub fn grad(input: TokenStream) -> TokenStream {
    expand::grad(input.into()).into()
}

/// The code that [`grad!`] generates for the same closure, as a formatted
/// `&'static str`, so learners can read the forward and backward passes
/// without an expansion tool.
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad_code;
/// let code: &str = grad_code!(|x, y| x * y);
/// assert!(code.contains("let __mg_v0 = __mg_p0 * __mg_p1;"));
/// ```
#[proc_macro]
pub fn grad_code(input: TokenStream) -> TokenStream {
    expand::grad_code(input.into()).into()
}

/// The static expression graph of the same closure as Graphviz DOT, a
/// `&'static str` in the record style of micrograd's `draw_dot`.
///
/// Each value is a record `{ label | data ... | grad ... }`. There are no
/// numbers at compile time, so `data` and `grad` name the generated
/// variables that hold them at run time (the names [`grad_code!`] shows);
/// constants read `data const | grad none`. Each op is a small node
/// between its operands and its result.
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad_dot;
/// let dot: &str = grad_dot!(|x, w| (x * w).tanh());
/// assert!(dot.starts_with("digraph"));
/// assert!(dot.contains("rankdir=LR"));
/// assert!(dot.contains(r#"[label="{ x | data __mg_p0 | grad __mg_gp0 }"]"#));
/// ```
#[proc_macro]
pub fn grad_dot(input: TokenStream) -> TokenStream {
    expand::grad_dot(input.into()).into()
}

// Static vs dynamic (branch `compare`): one closure, three engines.
mod compare;

/// One closure, three gradients: `grad!`'s generated code, the same
/// expression replayed on the dynamic `Value` graph, and a central finite
/// difference of its forward pass, so you can see the two engines agree
/// with each other and with the definition of the derivative.
///
/// ```text
/// compare!(closure, point)   -> micrograd::GradCheck, the report at `point: [f64; N]`
/// compare!(closure)          -> micrograd::Comparison, the three engines as closures
/// ```
///
/// The closure follows [`grad!`]'s grammar. It is parsed and lowered once;
/// the one SSA program is then emitted as the `grad!` closure, as `Value`
/// code (one `Value` op per instruction inside `micrograd::scope`, constants
/// as `f64` operands, then `backward`), and as plain `f64` forward code for
/// the finite difference. The report prints as a table:
///
/// ```
/// use micrograd::compare;
///
/// let report = compare!(|x, y| x * y + x.tanh(), [1.0, 2.0]);
/// println!("{report}");
/// // |x, y| x * y + x.tanh()
/// // at x = 1, y = 2
/// // value 2.761594155955765 (static), 2.761594155955765 (dynamic)
/// // param     static (grad!)    dynamic (Value)        finite diff  s vs d  s vs fd
/// // x      2.419974341614026  2.419974341614026  2.419974341603932       0  4.2e-12
/// // y      1.000000000000000  1.000000000000000  0.999999999990833       0  9.2e-12
/// // largest disagreement: static vs dynamic 0, static vs finite diff 9.2e-12, dynamic vs finite diff 9.2e-12
///
/// // d/dx = y + 1 - tanh(x)^2, d/dy = x
/// let t = 1f64.tanh();
/// assert!((report.static_grad[0] - (2.0 + 1.0 - t * t)).abs() < 1e-15);
/// assert_eq!(report.static_grad, report.dynamic_grad);
/// assert!(report.finite_diff_err() < 1e-9);
/// assert!(report.to_string().contains("dynamic (Value)"));
/// ```
///
/// Without a point it returns the engines themselves, each taking the point
/// as an array, to call or time separately; `.check(point)` makes the report:
///
/// ```
/// use micrograd::compare;
///
/// let w = 0.5; // captured: a constant on all three sides
/// let engines = compare!(|x| (w * x).sigmoid());
/// let (y, [dx]) = (engines.static_grad)([0.0]);
/// assert_eq!((y, dx), (0.5, 0.125)); // sigmoid' = y (1 - y) times w
/// assert_eq!((engines.dynamic_grad)([0.0]), (0.5, [0.125]));
/// assert_eq!((engines.value_fn)([0.0]), 0.5);
/// engines.check([1.5]).assert_agree(1e-12, 1e-8);
/// ```
///
/// The finite-difference step is `h = cbrt(f64::EPSILON) * max(1, |x|)`
/// with a central difference (error `O(h^2)`, about `4e-11` relative on
/// well-scaled functions). It is expected to disagree at kinks of `relu` or
/// `abs` within `h` of the point, where it averages the two slopes, under
/// large curvature, and near the edge of an op's domain; see
/// `micrograd::check` for the details and the `disagreement` measure.
#[proc_macro]
pub fn compare(input: TokenStream) -> TokenStream {
    compare::compare(input.into()).into()
}

/// [`compare!`] at a point, asserting that the two engines agree and match
/// the finite difference; the panic message shows the table. Evaluates to
/// the `GradCheck` report.
///
/// ```text
/// assert_grad!(closure, point)                       default tolerances
/// assert_grad!(closure, point, rel = 1e-12, fd = 1e-7)
/// ```
///
/// `rel` bounds the static-vs-dynamic disagreement (default
/// `check::DEFAULT_REL = 1e-12`), `fd` the disagreement of each with the
/// finite difference (default `check::DEFAULT_FD_TOL = 1e-6`), both
/// measured as `|a - b| / max(|a|, |b|, 1)`.
///
/// ```
/// use micrograd::assert_grad;
/// // y = x^3 - 2x, dy/dx = 3x^2 - 2 = 25 at x = 3
/// let report = assert_grad!(|x| x.powi(3) - 2 * x, [3.0], fd = 1e-8);
/// assert_eq!(report.static_grad, [25.0]);
/// ```
///
/// ```should_panic
/// use micrograd::assert_grad;
/// // relu'(0) = 0 by convention, but the finite difference reads 0.5.
/// assert_grad!(|x| x.relu(), [0.0]);
/// ```
#[proc_macro]
pub fn assert_grad(input: TokenStream) -> TokenStream {
    compare::assert_grad(input.into()).into()
}
