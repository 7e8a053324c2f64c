// Placeholder: the real benchmark is being written on its own branch.
fn main() {}
