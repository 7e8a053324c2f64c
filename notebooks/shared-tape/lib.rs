//! `micrograd` for notebooks: the whole crate, re-exported from one shared
//! library. See notebooks/micrograd.ipynb ("Cells and the tape").
pub use micrograd_crate::*;
