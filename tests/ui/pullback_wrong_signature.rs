// Checks: a custom pullback whose signature does not match the function
// (it forgot the adjoint `gy`) is one type error at the pullback's name.
#![deny(warnings)]
use micrograd::differentiable;

#[differentiable(pullback = clip_pullback)]
fn clip(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

fn clip_pullback(x: f64) -> [f64; 1] {
    [if x.abs() <= 1.0 { 1.0 } else { 0.0 }]
}

fn main() {
    let _ = clip(0.5);
}
