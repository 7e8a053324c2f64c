//! Procedural macros of the `micrograd` crate. Use them through `micrograd`.
//!
//! Stages, one file each: `parse` (the closure), `lower` (syntax -> SSA IR,
//! the one place that rejects input), `ir`, `rules` (the derivative table of
//! `OPS.md`), `diff` (the reverse sweep), `codegen` and `dot` (outputs).
//! The second-order macros (`hessian!`, `hvp!`, ...) have their pipelines
//! in `second` and their code generation in `codegen::hessian`.
#![forbid(unsafe_code)]

mod codegen;
mod diff;
mod differentiable;
mod dot;
mod expand;
#[cfg(test)]
mod fuzz_tests;
mod ir;
mod lower;
mod parse;
mod rules;
mod second;

use proc_macro::TokenStream;

/// Compiles a closure (an `f64` formula or a small numeric program with
/// arrays, loops and branches) into forward and reverse-mode code: the
/// result is a `move` closure returning the value and the gradient with
/// respect to the parameters.
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
/// A program: the N-dimensional Rosenbrock function over a slice, with a
/// loop. Its gradient has the parameter's shape (a `Vec` for a slice):
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad;
///
/// let rosenbrock = grad!(|x: &[f64]| {
///     let mut s = 0.0;
///     for i in 0..x.len() - 1 {
///         s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
///     }
///     s
/// });
/// let (value, gradient) = rosenbrock(&[-1.2, 1.0, 1.0]);
/// // 100 (1 - 1.44)^2 + 2.2^2 = 24.2; d/dx0 = -400 x0 (x1 - x0^2) - 2 (1 - x0)
/// // = -215.6, d/dx1 = 200 (x1 - x0^2) - 400 x1 (x2 - x1^2) - 2 (1 - x1) = -88,
/// // d/dx2 = 200 (x2 - x1^2) = 0.
/// assert!((value - 24.2).abs() < 1e-12);
/// for (got, want) in gradient.iter().zip([-215.6, -88.0, 0.0]) {
///     assert!((got - want).abs() < 1e-12);
/// }
/// ```
///
/// # Parameters and the gradient's shape
///
/// A parameter is `x` or `x: f64`, an array `w: [f64; 3]` (nested to any
/// depth, `[[f64; 2]; 16]`, lengths literals or constants), or a slice
/// `w: &[f64]`. The gradient mirrors the parameters:
/// - all parameters scalars: `(f64, [f64; N])`, one entry per parameter;
/// - one array or slice parameter: `(f64, G)`, so `let (v, g) = f(w);`;
/// - otherwise `(f64, (G1, .., Gk))`, one gradient per parameter;
///
/// where `G` is `f64` for `f64`, the same array type for an array, and
/// `Vec<f64>` for a slice (allocated on each call, the one allocation a
/// slice program makes besides its tapes; see below). Where one flat order
/// is needed (`compare!`'s report, Hessians, an MLP's parameters) it is
/// parameter order, each array row-major.
///
/// The closure is `move`: captured `f64`s and arrays are copied in, a
/// captured `Vec` is moved in. To keep using a `Vec` after `grad!`, capture
/// a reference (`let xs = &data;`).
///
/// Its type has no name. Where one must be written (a struct field, or a
/// notebook cell's top-level `let`, which the evcxr kernel keeps between
/// cells only if it can name the type), a closure that captures nothing
/// is a plain `fn` pointer, and one that captures goes in a `Box<dyn Fn>`:
///
/// ```
/// # use micrograd_macros as micrograd;
/// use micrograd::grad;
///
/// let f: fn(f64, f64) -> (f64, [f64; 2]) = grad!(|x, y| x * y + x.tanh());
/// let scale = 3.0;
/// let g: Box<dyn Fn(f64) -> (f64, [f64; 1])> = Box::new(grad!(|x| scale * x * x));
/// assert_eq!(f(2.0, 3.0).1[1], 2.0); // d/dy = x
/// assert_eq!(g(2.0).1[0], 12.0); // d/dx = 2 scale x
/// ```
///
/// # Accepted input
///
/// ```text
/// grad!( move? |param, ...| body )     at least one parameter
/// param := name | name: f64 | name: [..[f64; N]..; M] | name: &[f64]
/// body  := expr | { stmt* expr }
/// stmt  := let name (: f64 | : usize)? = expr;   let mut name (: f64)? = expr;
///        | let (mut)? name = [e, ...] | [e; N];    (local arrays, nested too)
///        | place = expr;  place += expr;  (also -=, *=, /=; `let mut` only)
///        | for i in a..b { stmt* }   a..=b, and (a..b).rev()
///        | if cond { stmt* } (else if cond { stmt* })* (else { stmt* })?
/// place := name | name[i] | name[i][j] ...
/// expr  := number | name | path | ( expr ) | -expr | expr (+ | - | * | /) expr
///        | name[i]... | expr.method() | expr.powi(INT) | expr.powi(k as i32)
///        | expr.powf(expr) | expr.max(expr) | expr.min(expr) | expr.clamp(lo, hi)
///        | k as f64 | { stmt* expr } | if cond { stmt* expr } else { stmt* expr }
///        | path(arg, ...)     a #[differentiable] function; f64::exp(x) is x.exp()
/// arg   := expr | &name | &name[i].. | name   (an array parameter or captured data)
/// cond  := expr (< | <= | > | >= | == | !=) expr | cond && cond | cond || cond
///        | !cond | ( cond )
/// method := exp | ln | sqrt | tanh | sin | cos | abs | relu | sigmoid
/// ```
///
/// **Which numbers are integers.** The macro sees tokens, not types, so
/// the rule is by position: loop variables, range bounds, indices, `let`s
/// annotated `: usize` or made of integers and at least one integer name
/// or `len()` (`let j = i + 1;`), literals and captured names in those
/// positions, and `xs.len()` are `usize` (operators `+ - * / %`). `k as f64`
/// turns one into a constant `f64`, `k as i32` into a `powi` exponent.
/// Everything else is `f64`: `2 * x` is `2.0 * x` and `let c = 3;` is a
/// number. Integers are immutable (the reverse sweep recomputes them), and
/// a name used both ways, or a bound or index made from an `f64` value
/// (`0..(x as usize)`), is a compile error: what is differentiated cannot
/// steer a loop.
///
/// **Captured values** are constants with no gradient: a name that is not
/// a parameter or a binding of the body, and any path (`w`, `PI`,
/// `core::f64::consts::PI`). Used as a number it must be an `f64` (a type
/// error points at it; `w as f64` converts an `f32` or an integer), in an
/// integer position a `usize`, and indexed it is data: an array, slice,
/// `Vec` or nesting of them holding `f64` (`xs[k][0]`).
///
/// **Arrays.** Indexing uses Rust's bounds checks: an index out of range
/// panics with Rust's own message. `0..n - 1` with `n = 0` panics in debug
/// builds, exactly as the same Rust does. A whole array cannot be copied
/// (`let v = w;`) or assigned; index it.
///
/// **Conditions** are comparisons of numbers or of integers, joined by
/// `&&`, `||` and `!`, which short-circuit as in Rust (in
/// `i + 1 < n && x[i + 1] > 0.0` the index is never past the end). A
/// condition cannot hold an `if`, a loop or an assignment. Only the branch
/// taken is differentiated.
///
/// Anything else (`while`, `loop`, `break`, `continue`, `return`, `match`,
/// `%` and bit operators on numbers, other methods, nested closures, macro
/// calls, field access, calls of functions without `#[differentiable]`
/// (see [`macro@differentiable`]), assignment to a parameter, to
/// captured data or to a non-`mut` name, a body without a final
/// expression) is a compile error at the offending tokens that says what is
/// supported; several are reported at once. The macro never panics, and a
/// rejected closure expands to a placeholder of the right type, so the
/// error is the only diagnostic.
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
/// with yours. The ops whose edges need care (`powf`, `atan2`, `softplus`,
/// ... see `OPS.md`) call their derivative in `::micrograd::rules`, the
/// functions the `Value` engine runs too, so use `grad!` through the
/// `micrograd` crate.
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
/// field access, calls of plain functions, assignment to a parameter or a non-`mut`
/// name, a body without a final expression) is a compile error at the
/// offending tokens that says what is supported; several are reported at
/// once. The macro never panics.
///
/// # How loops and branches are reversed
///
/// Loops stay loops: the expansion grows with the source, never with the
/// trip count. The scheme is the one of source-transformation tools
/// (Tapenade's and Clad's "store on overwrite", with recomputation):
/// - the forward sweep runs the program as written; the reverse sweep then
///   runs each region backwards, each loop from its last iteration to its
///   first (`for i in (a..b).rev()` for `for i in a..b`), and only the
///   branch that the forward sweep took;
/// - at the start of each reversed iteration it recomputes the values its
///   local derivatives read, from what is still there: parameters,
///   constants, integers, and storage that nothing overwrites later;
/// - the one kind of value that cannot be recomputed is a read of a
///   variable that the program overwrites afterwards (`p` in `p = p * x +
///   c[i]`): the forward sweep saves it on a tape right after reading it,
///   and the reverse sweep reads it back. Inside loops whose bounds are
///   literals (`0..16`) the tape is a fixed array with one slot per
///   iteration (at most 1024 slots per tape, 8192 in all, on the stack);
///   otherwise it is a stack (a `Vec<f64>` on the heap, so a million
///   iterations need no stack space). Reads whose value no derivative needs (`s` in
///   `s += w[i] * x[i]`) are not saved at all. Where the stores to a
///   storage run in fewer loops than its reads (a layer's outputs, stored
///   once per neuron, read once per neuron of the next layer), the stores
///   save what they overwrite instead and the reverse sweep puts it back as
///   it passes them, so the reads are recomputed; an element store after
///   `let mut h = [0.0; 16];` with no read of `h` in between saves
///   nothing, as putting back the whole array at the `let` covers it. The
///   tapes' buffers are kept per thread from call to call
///   (`micrograd::saved`), so a call in a training loop does not allocate;
/// - the outcome of each branch with something to reverse is saved the
///   same way (a fixed array or a `Vec<bool>` inside loops, a `bool`
///   outside);
/// - a top-level loop whose iterations meet only in one sum (`loss +=
///   term` over data points, each iteration with arrays of its own) and
///   that would push on a stack is fused: each iteration is reversed
///   right after it runs, with the sum's adjoint seeded with 1, into local
///   adjoints that the reverse sweep scales by the sum's true adjoint when
///   it reaches the loop. Nothing is kept from one iteration to the next,
///   so a layer's saved values fit a fixed array. The rounding differs from
///   the unfused order by a few ulps (`a * (x * y)` for `(a * x) * y`);
///   see `micrograd-macros/src/diff/fuse.rs` for the rule and its source;
/// - adjoints accumulate with `+=`; a stored value and what only it reads
///   are reversed under one test of the store's adjoint, so a value that
///   was overwritten before it was read (adjoint exactly 0) passes nothing
///   on, and an infinite derivative there cannot make `0 * inf = NaN`
///   (other instructions with a derivative that reads a value test their
///   own adjoint); a loop whose only reverse work is such a tree under a
///   scalar's adjoint (`z += w[i] * h[i]`) tests it once, before the loop,
///   and, when the store passes the adjoint on (`z = z + t`), not inside;
/// - loads of a parameter array at `i + c` for several constants `c`
///   (`x[i]`, `x[i + 1]`) sum their adjoints in registers carried across
///   the reversed iterations, and each gradient element is written once.
///
/// Horner's rule, `grad_code!(|x, c: [f64; 4]| { let mut p = 0.0; for i in
/// (0..4).rev() { p = p * x + c[i]; } p })`, expands to (`__mg_x0` is `p`'s
/// storage, `__mg_t0` its tape, a `[f64; 4]`, `__mg_gx0` its adjoint):
///
/// ```
/// # use micrograd_macros as micrograd;
/// # let code = micrograd::grad_code!(|x, c: [f64; 4]| {
/// #     let mut p = 0.0;
/// #     for i in (0..4).rev() {
/// #         p = p * x + c[i];
/// #     }
/// #     p
/// # });
/// # let expected = r#"
/// for __mg_i0 in (0..4).rev() {                 // forward sweep
///     let __mg_v0: f64 = __mg_x0;                 // p
///     __mg_t0[__mg_i0] = __mg_v0;                 // saved: p * x needs it
///     let __mg_v1 = __mg_v0 * __mg_p0;
///     let __mg_v2: f64 = __mg_p1[__mg_i0];        // c[i]
///     let __mg_v3 = __mg_v1 + __mg_v2;
///     __mg_x0 = __mg_v3;                          // p = p * x + c[i]
/// }
/// for __mg_i0 in 0..4 {                           // reverse sweep
///     let __mg_v0: f64 = __mg_t0[__mg_i0];
///     __mg_g3 += __mg_gx0;                        // the store, reversed
///     __mg_gx0 = -0.0;
///     if __mg_g3 != 0.0 {                         // what only the store reads
///         __mg_g1 += __mg_g3;
///         __mg_g2 += __mg_g3;
///         __mg_gp1[__mg_i0] += __mg_g2;           // dp/dc[i]
///         __mg_g0 += __mg_g1 * __mg_p0;           // d(p x)/dp = x
///         __mg_gp0 += __mg_g1 * __mg_v0;          // d(p x)/dx = p
///         __mg_gx0 += __mg_g0;                    // the load, reversed
///     }
/// }
/// # "#;
/// # // Every line above appears, in this order, in grad_code!.
/// # let mut rest: &str = code;
/// # for line in expected.lines().map(|l| l.split("//").next().unwrap().trim()) {
/// #     if !line.is_empty() && line != "}" {
/// #         let at = rest.find(line).unwrap_or_else(|| panic!("{line} not in {code}"));
/// #         rest = &rest[at..];
/// #     }
/// # }
/// ```
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
/// - `max`, `min` and `clamp` are selections: the gradient goes wholly to
///   the operand whose value is returned, at a tie to the receiver
///   (`a.max(b)` with `a == b` gives `da = 1`, as Clad's `std::max` and
///   TensorFlow do; PyTorch splits ties), and `x.clamp(lo, hi)` gives it to
///   `x` on the closed interval `lo <= x <= hi`, as PyTorch's `clamp` does;
/// - at a branch point the branch taken decides the derivative (`if x < 0.0
///   { -x } else { x }` has derivative 1 at 0);
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

/// Compiles a closure (the input language of [`grad!`]) into code for its
/// value, gradient and **Hessian**: the result is a `move` closure
/// returning `(value, gradient, hessian)`.
///
/// ```
/// use micrograd::hessian;
///
/// // f = x^2 y + y^3: gradient (2xy, x^2 + 3y^2), Hessian [[2y, 2x], [2x, 6y]].
/// let f = hessian!(|x, y| x * x * y + y.powi(3));
/// let (value, gradient, h) = f(3.0, 2.0);
/// assert_eq!(value, 26.0);
/// assert_eq!(gradient, [12.0, 21.0]);
/// assert_eq!(h, [[4.0, 6.0], [6.0, 12.0]]);
/// ```
///
/// # Shapes
///
/// - the gradient has exactly [`grad!`]'s shape (`[f64; N]` for scalar
///   parameters, the parameter's own shape for a lone array, a tuple
///   otherwise) and is `grad!`'s gradient to the bit;
/// - the Hessian is `[[f64; N]; N]` with `N` the number of flat
///   parameters, in `grad!`'s flat order: parameter order, each array
///   row-major. `h[i][j] = d^2 f / (dx_i dx_j)`. For
///   `|w: [[f64; 2]; 2], b|` the order is `w[0][0], w[0][1], w[1][0],
///   w[1][1], b`.
///
/// Calls of `#[differentiable]` functions are differentiated twice through
/// the second-order code the attribute generates (the function on dual
/// numbers and its pullback on them, generic over the dual size), nested
/// calls, array arguments and calls in loops included:
///
/// ```
/// use micrograd::{differentiable, hessian};
///
/// #[differentiable]
/// fn softplus(x: f64) -> f64 {
///     (1.0 + x.exp()).ln()
/// }
///
/// // f = softplus(x) y: f_xx = s (1 - s) y, f_xy = s (s = sigmoid(x)), f_yy = 0.
/// let f = hessian!(|x, y| softplus(x) * y);
/// let (_, _, h) = f(0.0, 2.0);
/// assert_eq!(h, [[0.5, 0.5], [0.5, 0.0]]);
/// ```
///
/// Still a compile error at the call: a function with a custom pullback
/// (`#[differentiable(pullback = ..)]`: it has no second-derivative rule),
/// a function with a slice parameter, a function that returns an array.
/// (A custom-pullback function called inside another `#[differentiable]`
/// function is reported at that inner call by `cargo build`, when the
/// outer function's second-order code is instantiated.) Write such a
/// body inline in the closure.
///
/// A slice parameter (`&[f64]`) is a compile error: its length is known
/// only at run time, so it cannot size the Hessian's type. Use [`hvp!`]
/// (Hessian-vector products accept slices), or an array.
///
/// # How it is computed
///
/// Forward-over-reverse (Griewank and Walther, "Evaluating Derivatives",
/// 2nd ed., SIAM 2008, chapter 5, "Second-order adjoints"): the program
/// that `grad!` generates (forward sweep, then the reverse sweep with the
/// same local derivatives) runs on the dual numbers
/// `micrograd::dual::Dual<N>`, with flat parameter `i` seeded by the unit
/// tangent `e_i`. The primal parts of the parameters' adjoints are the
/// gradient, their tangents the Hessian's columns. One run costs a small
/// multiple of `N` gradients (`O(N)` per op), against `O(N^2)` per op for
/// hyper-dual or second-order forward numbers; the seeds are compile-time
/// unit vectors, so with everything inlined LLVM folds most zero tangents.
///
/// The Hessian is symmetrized as `(H + H^T) / 2`: forward-over-reverse
/// computes every entry, and `h[i][j]`, `h[j][i]` come from different
/// sums that may differ in the last bit; the mean is exactly symmetric
/// and uses both.
///
/// Second derivatives follow the conventions of `OPS.md` ("Second
/// derivatives"): branches are taken on primal values, exactly as
/// [`grad!`] takes them, so a program is differentiated twice along the
/// branch taken; `relu'' = abs'' = 0` (also at the kink), selections
/// (`max`, `min`, `clamp`) and piecewise-constant ops have no curvature.
/// The dynamic `Value` engine has no second derivatives; [`compare_hessian!`]
/// checks `hessian!` against finite differences of `grad!`'s gradient.
///
/// # What it expands to
///
/// [`hessian_code!`] shows the generated code. For `hessian!(|x, y| x *
/// y.exp())` it is `grad!`'s program over `Dual<2>` (`Dual` is
/// `micrograd::dual::Dual`), with the local derivatives of `grad!`, then the
/// adjoints' tangents as the Hessian's rows:
///
/// ```
/// # let code = micrograd::hessian_code!(|x, y| x * y.exp());
/// # let expected = r#"
/// let __mg_p0: Dual<2> = Dual::<2>::variable(__mg_p0, 0);   // x, tangent e_0
/// let __mg_p1: Dual<2> = Dual::<2>::variable(__mg_p1, 1);   // y, tangent e_1
/// let __mg_v0: Dual<2> = Dual::<2>::exp(__mg_p1);           // y.exp()
/// let __mg_v1: Dual<2> = __mg_p0 * __mg_v0;                 // the output
/// let mut __mg_g1: Dual<2> = Dual::<2>::cst(1.0);           // its adjoint
/// __mg_gp0 += __mg_g1 * (__mg_v0);                          // d/dx = e^y
/// __mg_g0 += __mg_g1 * (__mg_p0);                           // d/d(e^y) = x
/// if !__mg_g0.is_zero() {                                   // exp' = y, guarded
///     __mg_gp1 += __mg_g0.guarded_mul(Dual::<2>::from(__mg_v0));
/// }
/// __mg_h0[__mg_row0] = __mg_gp0.eps;                        // row 0: d(df/dx)
/// __mg_h0[__mg_row0] = __mg_gp1.eps;                        // row 1: d(df/dy)
/// dual::symmetrize(&mut __mg_h0);                           // (H + H^T) / 2
/// # "#;
/// # // Every line above appears, in this order, in hessian_code! (whose
/// # // formatter may break a line: compare without whitespace).
/// # let squash = |s: &str| s.split_whitespace().collect::<String>();
/// # let code = squash(code);
/// # let mut rest: &str = &code;
/// # for line in expected.lines().map(|l| squash(l.split("//").next().unwrap())) {
/// #     if !line.is_empty() && line != "}" {
/// #         let at = rest.find(&line).unwrap_or_else(|| panic!("{line} not in {code}"));
/// #         rest = &rest[at..];
/// #     }
/// # }
/// ```
///
/// # Panics
///
/// Where [`grad!`]'s closure panics (an index out of range, `clamp` with
/// `lo > hi`), and nowhere else.
///
/// Every active value is a `Dual<N>` of `8 (N + 1)` bytes and the Hessian
/// (`8 N^2` bytes) is returned by value, all on the stack: for `N` in the
/// hundreds (half a megabyte at `N = 256`) use [`hvp!`], whose cost and
/// memory do not grow with `N`.
#[proc_macro]
pub fn hessian(input: TokenStream) -> TokenStream {
    second::hessian(input.into()).into()
}

/// Hessian-vector products: compiles a closure (the input language of
/// [`grad!`], slices included) into a `move` closure that takes the
/// parameters, then a direction `v` of the same shapes, and returns
/// `(value, gradient, H v)`, the gradient and `H v` both in [`grad!`]'s
/// gradient shape.
///
/// ```
/// use micrograd::hvp;
///
/// // f = sum_i x_i^2 x_{i+1}: H has 2 x_{i+1} on the diagonal at i and
/// // 2 x_i beside it.
/// let f = hvp!(|x: &[f64]| {
///     let mut s = 0.0;
///     for i in 0..x.len() - 1 {
///         s += x[i] * x[i] * x[i + 1];
///     }
///     s
/// });
/// // At x = (1, 2, 3): H = [[4, 2, 0], [2, 6, 4], [0, 4, 0]]; H e_1 = (2, 6, 4).
/// let (value, gradient, hv) = f(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.0]);
/// assert_eq!(value, 14.0);
/// assert_eq!(gradient, vec![4.0, 13.0, 4.0]);
/// assert_eq!(hv, vec![2.0, 6.0, 4.0]);
/// ```
///
/// It is [`hessian!`]'s scheme with one tangent (`Dual<1>`) seeded with
/// `v`: the tangent of the adjoint program in direction `v` (Griewank and
/// Walther, chapter 5). It costs a small constant times one gradient
/// (`BENCHMARKS.md` measures it), whatever the number of parameters.
///
/// # Panics
///
/// If a slice's direction has another length than the slice (with a
/// message naming the parameter), and where [`grad!`]'s closure panics.
#[proc_macro]
pub fn hvp(input: TokenStream) -> TokenStream {
    second::hvp(input.into()).into()
}

/// The closure [`hessian!`] generates, as formatted Rust text (a `&str`).
///
/// ```
/// let code = micrograd::hessian_code!(|x, y| x * y.exp());
/// assert!(code.contains("Dual"));
/// assert!(code.contains("::micrograd::dual::rules") || code.contains("guarded_mul"));
/// ```
#[proc_macro]
pub fn hessian_code(input: TokenStream) -> TokenStream {
    second::hessian_code(input.into()).into()
}

/// The closure [`hvp!`] generates, as formatted Rust text (a `&str`).
#[proc_macro]
pub fn hvp_code(input: TokenStream) -> TokenStream {
    second::hvp_code(input.into()).into()
}

/// Checks [`hessian!`] at a point: `compare_hessian!(closure, point)`
/// returns a `micrograd::dual::check::HessianCheck` with the compiled
/// Hessian beside central finite differences of [`grad!`]'s gradient, and
/// whether `hessian!`'s gradient is `grad!`'s. The point is given as for
/// [`compare!`]: `[f64; N]` for scalar parameters, the lone array (a
/// slice as a `Vec`), or a tuple. For a program with a slice parameter,
/// which `hessian!` rejects, the compiled Hessian is built from [`hvp!`]'s
/// columns `H e_j` (symmetrized the same way), so `compare_hessian!` checks
/// `hvp!` too. The dynamic `Value` engine has no second derivatives, so
/// there is no third column.
///
/// ```
/// use micrograd::compare_hessian;
/// let report = compare_hessian!(|x, y| (x * y).sin() + x.exp(), [0.5, 1.5]);
/// report.assert_agree(1e-6);
/// assert!(report.fd_err() < 1e-7, "{report}");
/// ```
#[proc_macro]
pub fn compare_hessian(input: TokenStream) -> TokenStream {
    second::compare_hessian(input.into()).into()
}

/// Makes a function callable inside [`grad!`] (and inside other
/// `#[differentiable]` functions), with its derivative compiled from its
/// body by the same pipeline as `grad!`.
///
/// ```
/// use micrograd::{differentiable, grad};
///
/// const INPUT: [f64; 2] = [1.0, -2.0];
///
/// #[differentiable]
/// fn neuron(w: &[f64; 2], x: &[f64; 2], b: f64) -> f64 {
///     (w[0] * x[0] + w[1] * x[1] + b).tanh()
/// }
///
/// #[differentiable]
/// fn loss(w: &[f64; 2], b: f64) -> f64 {
///     (neuron(w, &INPUT, b) - 0.5).powi(2)
/// }
///
/// # fn main() {
/// let f = grad!(|w: [f64; 2], b: f64| loss(&w, b) + 0.1 * b * b);
/// let (value, (dw, db)) = f([0.3, 0.1], 0.2);
/// // n = tanh(0.3 - 0.2 + 0.2) = tanh(0.3); loss = (n - 0.5)^2;
/// // d/dz = 2 (n - 0.5)(1 - n^2) with z = w.x + b; dw = d/dz * x, db = d/dz + 0.2 b
/// let n = 0.3f64.tanh();
/// let dz = 2.0 * (n - 0.5) * (1.0 - n * n);
/// assert!((value - ((n - 0.5).powi(2) + 0.004)).abs() < 1e-12);
/// assert!((dw[0] - dz).abs() < 1e-12 && (dw[1] + 2.0 * dz).abs() < 1e-12);
/// assert!((db - (dz + 0.04)).abs() < 1e-12);
/// # }
/// ```
///
/// # Rules
///
/// - The signature: parameters `f64`, arrays of `f64` (by value or by
///   reference, `[f64; 3]`, `&[f64; 3]`, `[[f64; 2]; 4]`) or slices
///   `&[f64]`; the result `f64` or an array of `f64` (`[f64; 4]`,
///   `[[f64; 2]; 3]`). The body follows `grad!`'s grammar (numbers,
///   `let`, `let mut`, local arrays, `for` over ranges, `if`/`else`, the
///   ops of `OPS.md`) and may call other `#[differentiable]` functions.
/// - Free functions only (not methods or associated functions in an
///   `impl`: the companion is a struct, which cannot go there; the
///   attribute cannot see that it is in an `impl`, so on a method it is
///   one error at `self`, and on an associated function without `self`
///   rustc's two, "struct is not supported in `trait`s or `impl`s" and
///   "implementation is not supported ..." at the attribute), not
///   generic, `async`, `unsafe` or `extern "C"` (a call inside `grad!`
///   runs the function and its pullback outside any `unsafe` block of the
///   caller's; wrap such code in a safe function with a custom
///   derivative). A `const fn` is accepted and stays `const`; its
///   companion's functions are not. A rejected signature is one error,
///   from the attribute; its calls add none.
/// - The body is also plain Rust, so the ops `f64` has no method for
///   (`relu`, `sigmoid`, `softplus`, `leaky_relu`, `gelu`, `silu`,
///   `log_sigmoid`) come from `micrograd::ops::F64Ops`, which the
///   attribute imports at the top of the body: `x.relu()` just works, and
///   computes what both engines compute.
/// - A function that returns an array ends with the array: a local array
///   (`h`), an array expression (`[a, b]`) or a call of another such
///   function. Its pullback takes the adjoint of the result, of the same
///   shape, and returns the adjoints of the arguments. Inside `grad!` (or
///   another `#[differentiable]` function) bind its result with `let`,
///   then index it: `let h = layer(&w, &x); h[0] + h[1]` (the `let` may
///   carry the type, `let h: [f64; 4] = ..`; without one, the shape is
///   the function's, with as many dimensions as `h` takes indices), also
///   in loops and branches. Used as a number (`layer(&w, &x) * 2.0`) it is
///   one compile error at the call, and so is indexing the result of a
///   function that returns `f64`. Custom pullbacks and `#[grad_fn]` are
///   for functions that return `f64`.
/// - The function itself is unchanged (it gains `#[inline]`). Next to it,
///   in the type namespace, goes a companion of the same name (a braced
///   struct with no fields, which does not clash with the function), so
///   `use nn::neuron;`, `use nn::neuron as n;` and `nn::neuron(..)` bring
///   the derivative along with the function, across modules and crates.
/// - Inside `grad!`, pass numbers by value and arrays as parameters of the
///   closure or captured data, whole or by row: `neuron(&w, &x, b)`,
///   `neuron(&m[k], &xs[i], b)`. The gradient of a call with respect to an
///   array has the array's shape and is added into the caller's gradient.
/// - Direct recursion is a compile error. Mutual recursion (`f` calls `g`
///   calls `f`) compiles: the generated derivatives call each other the
///   way the functions do, so they terminate exactly when the functions do
///   (a branch must end it), at the cost of one derivative call per call.
/// - A call of a function without the attribute is a compile error at
///   the call that says to add it (the message of
///   `micrograd::differentiable::Differentiable`). A call with the wrong
///   number of arguments is one error at the call, which names the
///   function and the count passed (`TakesArguments`), and so is an
///   argument of the wrong type (an array for a number, a wrong length,
///   `w` for `&w`), at the argument, with the type the function takes
///   (`Accepts`; for numbers and the caller's own array parameters).
/// - [`hessian!`] and [`hvp!`] differentiate through calls of a function
///   of numbers and arrays that returns `f64` (the companion also holds
///   second-order code, generic over the dual numbers' size); not through
///   a custom pullback, a slice parameter or an array result (one compile
///   error at the call).
///
/// ```
/// use micrograd::{assert_grad, differentiable, grad};
///
/// /// Two relu units: `h_j = relu(w_j . x + b_j)`, returned whole.
/// #[differentiable]
/// fn layer(w: &[[f64; 2]; 2], b: &[f64; 2], x: &[f64; 2]) -> [f64; 2] {
///     let mut h = [0.0; 2];
///     for j in 0..2 {
///         h[j] = (w[j][0] * x[0] + w[j][1] * x[1] + b[j]).relu();
///     }
///     h
/// }
///
/// # fn main() {
/// let x = [1.0, 2.0];
/// let f = grad!(|w: [[f64; 2]; 2], b: [f64; 2]| {
///     let h = layer(&w, &b, &x);
///     h[0] + 3.0 * h[1]
/// });
/// // h = relu(0.5 + 1 + 0, -1 + 0.5 + 0.25) = (1.5, 0): dh0/dw0 = x, db0 = 1,
/// // the second unit is off (zero gradient).
/// let (v, (dw, db)) = f([[0.5, 0.5], [-1.0, 0.25]], [0.0, 0.25]);
/// assert_eq!((v, dw, db), (1.5, [[1.0, 2.0], [0.0, 0.0]], [1.0, 0.0]));
/// assert_grad!(
///     |w: [[f64; 2]; 2], b: [f64; 2]| {
///         let h = layer(&w, &b, &x);
///         (h[0] + 3.0 * h[1]).tanh()
///     },
///     ([[0.5, 0.5], [-1.0, 0.25]], [0.0, 0.25])
/// );
/// # }
/// ```
///
/// # Custom derivatives
///
/// `#[differentiable(pullback = p)]` uses your derivative instead of the
/// body's: for an external library call, a numerically better rule, or a
/// convention of your own at a kink. The pullback takes the function's
/// arguments and the adjoint `gy` of its result and returns the adjoints
/// of the arguments, shaped as `grad!`'s gradient of the same parameters:
/// `[f64; N]` when all are `f64`, the one gradient for a lone array or
/// slice, else a tuple (a slice's as a `Vec<f64>`). `grad!` code calls it
/// with the call's actual adjoint. `compare!`'s `Value` engine records it
/// as one linear node with the partial derivatives it gives at `gy = 1`,
/// so there it must be linear in `gy` (a vector-Jacobian product is). The
/// signature is checked at compile time. The body must still compile, but
/// is not differentiated.
///
/// ```
/// use micrograd::{assert_grad, differentiable, grad};
///
/// /// sqrt with its derivative clipped at 10 (it is infinite at 0).
/// #[differentiable(pullback = safe_sqrt_pullback)]
/// fn safe_sqrt(x: f64) -> f64 {
///     x.sqrt()
/// }
/// fn safe_sqrt_pullback(x: f64, gy: f64) -> [f64; 1] {
///     [gy * (0.5 / x.sqrt()).min(10.0)]
/// }
///
/// # fn main() {
/// let f = grad!(|x| safe_sqrt(x) * 2.0);
/// assert_eq!(f(0.0), (0.0, [20.0]));
/// assert_eq!(f(4.0), (4.0, [0.5]));
/// // compare!'s dynamic engine honours the same rule.
/// let report = micrograd::compare!(|x| safe_sqrt(x) * 2.0, [0.0]);
/// assert_eq!(report.dynamic_grad, vec![20.0]);
/// # }
/// ```
#[proc_macro_attribute]
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    differentiable::differentiable(attr.into(), item.into()).into()
}

/// The attribute form of [`grad!`]: `#[grad_fn] fn f(x: f64, y: f64) -> f64`
/// keeps `f`, makes it [`macro@differentiable`], and adds `f_grad` with
/// the same parameters returning `(f64, G)`, `G` shaped as `grad!`'s
/// gradient (`[f64; 2]` here). (It cannot be called `#[grad]`: attribute
/// and function-like macros share one namespace, and `grad!` has the name.)
///
/// ```
/// use micrograd::{grad, grad_fn};
///
/// #[grad_fn]
/// fn f(x: f64, y: f64) -> f64 {
///     x * y + x.tanh()
/// }
///
/// # fn main() {
/// let (value, [dx, dy]) = f_grad(2.0, 3.0);
/// assert_eq!(value, f(2.0, 3.0));
/// assert_eq!((value, [dx, dy]), grad!(|x, y| x * y + x.tanh())(2.0, 3.0));
/// // `grad_code!` of the same closure shows the code `f_grad` runs.
/// # }
/// ```
#[proc_macro_attribute]
pub fn grad_fn(attr: TokenStream, item: TokenStream) -> TokenStream {
    differentiable::grad(attr.into(), item.into()).into()
}
