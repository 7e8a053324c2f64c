//! The dynamic engine of the `micrograd` crate. Use it through `micrograd`.

// Neural nets and training (branch `nn`): kept in one block at the end so
// it merges cleanly with the engine's own module list above.
pub mod data;
