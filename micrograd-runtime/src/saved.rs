//! The buffers `grad!`'s reverse sweep saves values on (its tapes of loads,
//! overwritten storage and branch outcomes), reused from call to call.
//!
//! A program with a loop saves a value per iteration on a `Vec`. A fresh
//! `Vec` per call grows by doubling, and on the moons network (1,600 values
//! per tape per call) the reallocations and their copies were 13% of a
//! gradient's instructions (`bash benches/count-instructions.sh`, the
//! `program` row). So each tape site of a `grad!` closure has a
//! thread-local slot: a call takes the buffer out (`slot.take()`, leaving
//! an empty one, so a nested or concurrent use of the same site on the same
//! thread just starts afresh), and hands it back cleared at the end
//! ([`give_back`]). A buffer that grew
//! past [`KEEP_BYTES`] is freed instead, so one large call does not pin its
//! memory to the thread for good. A call that panics drops its buffers.
//!
//! Generated code calls this; it is not meant as a user API.

use std::cell::Cell;
use std::thread::LocalKey;

/// The largest buffer (capacity times element size, in bytes) kept for the
/// next call: 1 MiB, 131,072 `f64`s.
pub const KEEP_BYTES: usize = 1 << 20;

/// Clears `buffer` and keeps it in `slot` for the next call, unless it
/// holds more than [`KEEP_BYTES`].
#[inline]
pub fn give_back<T>(slot: &'static LocalKey<Cell<Vec<T>>>, mut buffer: Vec<T>) {
    if buffer.capacity().saturating_mul(size_of::<T>()) <= KEEP_BYTES {
        buffer.clear();
        slot.set(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static SLOT: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
    }

    #[test]
    fn a_buffer_comes_back_empty_with_its_capacity() {
        let mut v = SLOT.take();
        v.extend([1.0, 2.0, 3.0]);
        let cap = v.capacity();
        give_back(&SLOT, v);
        let again = SLOT.take();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), cap);
        // Taken: the slot is empty until it is handed back.
        assert_eq!(SLOT.take().capacity(), 0);
    }

    #[test]
    fn a_buffer_past_the_limit_is_freed() {
        let big: Vec<f64> = Vec::with_capacity(KEEP_BYTES / 8 + 1);
        give_back(&SLOT, big);
        assert_eq!(SLOT.take().capacity(), 0);
        // Exactly at the limit it is kept.
        give_back(&SLOT, Vec::<f64>::with_capacity(KEEP_BYTES / 8));
        assert!(SLOT.take().capacity() >= KEEP_BYTES / 8);
    }
}
