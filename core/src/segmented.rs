//! A growable list kept in segments of 64 to 128 KiB. A `Vec` grows by moving all of itself
//! to a buffer twice as large; for the long lists a big tracker keeps (a slot per item, the
//! items of a count level, the entries of a 24-minute bucket) that one move holds the server
//! for a millisecond or more, page faults included. A [`SegmentedVec`] grows by one segment
//! and never moves what it holds; only its last segment grows like a vector, and only up to
//! the segment size, so a short list costs what a vector costs.

use std::mem::size_of;

use crate::heap;

/// A list of `T` in segments: every segment but the last holds exactly
/// [`SegmentedVec::SEGMENT`] values, and none is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentedVec<T> {
    segments: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for SegmentedVec<T> {
    fn default() -> Self {
        SegmentedVec {
            segments: Vec::new(),
            len: 0,
        }
    }
}

impl<T> SegmentedVec<T> {
    /// Values per segment: a power of two near 64 KiB of them.
    const SEGMENT: usize = (64 * 1024
        / if size_of::<T>() == 0 {
            1
        } else {
            size_of::<T>()
        })
    .next_power_of_two();

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.segments
            .get(index / Self::SEGMENT)?
            .get(index % Self::SEGMENT)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.segments
            .get_mut(index / Self::SEGMENT)?
            .get_mut(index % Self::SEGMENT)
    }

    pub fn last(&self) -> Option<&T> {
        self.segments.last()?.last()
    }

    /// Appends `value`: into the last segment, which grows like a vector up to the segment
    /// size, or into a new one (so the unused room is at most half the last segment).
    pub fn push(&mut self, value: T) {
        match self.segments.last_mut() {
            Some(last) if last.len() < Self::SEGMENT => {
                if last.len() == last.capacity() {
                    let wanted = (2 * last.len()).clamp(4, Self::SEGMENT);
                    last.reserve_exact(wanted - last.len());
                }
                last.push(value);
            }
            _ => {
                let mut segment = Vec::with_capacity(4);
                segment.push(value);
                self.segments.push(segment);
            }
        }
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<T> {
        let last = self.segments.last_mut()?;
        let value = last.pop();
        if last.is_empty() {
            self.segments.pop();
        }
        if value.is_some() {
            self.len -= 1;
        }
        value
    }

    /// Removes the value at `index`, moving the last value there.
    pub fn swap_remove(&mut self, index: usize) -> Option<T> {
        if index >= self.len {
            return None;
        }
        let last = self.pop()?;
        match self.get_mut(index) {
            Some(slot) => Some(std::mem::replace(slot, last)),
            None => Some(last),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.segments.iter().flatten()
    }

    /// The values as slices, in order: a loop over each runs tighter than [`Self::iter`].
    pub fn slices(&self) -> impl Iterator<Item = &[T]> {
        self.segments.iter().map(Vec::as_slice)
    }

    /// Gives back the unused room of the last segment.
    pub fn shrink_to_fit(&mut self) {
        if let Some(last) = self.segments.last_mut() {
            last.shrink_to_fit();
        }
    }

    /// Bytes allocated: the segments and the list of them.
    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Vec<T>>(self.segments.capacity())
            + self
                .segments
                .iter()
                .map(|segment| heap::buffer::<T>(segment.capacity()))
                .sum::<usize>()
    }
}

/// Bytes allocated by a vector of lists: its own buffer and every list's.
#[allow(clippy::ptr_arg)] // the vector's capacity counts, which a slice does not have
pub fn heap_bytes_of_lists<T>(lists: &Vec<SegmentedVec<T>>) -> usize {
    heap::buffer::<SegmentedVec<T>>(lists.capacity())
        + lists.iter().map(SegmentedVec::heap_bytes).sum::<usize>()
}

impl<T> FromIterator<T> for SegmentedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        let mut list = SegmentedVec::default();
        for value in values {
            list.push(value);
        }
        list
    }
}

impl<T> IntoIterator for SegmentedVec<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.segments.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(u32),
        Pop,
        SwapRemove(usize),
        Set(usize, u32),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => any::<u32>().prop_map(Op::Push),
            1 => Just(Op::Pop),
            2 => any::<usize>().prop_map(Op::SwapRemove),
            1 => (any::<usize>(), any::<u32>()).prop_map(|(i, v)| Op::Set(i, v)),
        ]
    }

    proptest! {
        /// Any sequence of operations leaves the same values as a `Vec` given the same
        /// operations, across segment boundaries (16,384 values of `u32` per segment).
        #[test]
        fn behaves_like_a_vec(
            ops in proptest::collection::vec(op(), 1..200),
            prefill in 0usize..40_000,
        ) {
            let mut list: SegmentedVec<u32> = (0..prefill as u32).collect();
            let mut model: Vec<u32> = (0..prefill as u32).collect();
            for op in ops {
                match op {
                    Op::Push(v) => {
                        list.push(v);
                        model.push(v);
                    }
                    Op::Pop => prop_assert_eq!(list.pop(), model.pop()),
                    Op::SwapRemove(i) => {
                        let i = if model.is_empty() { i } else { i % (model.len() + 1) };
                        let expected = (i < model.len()).then(|| model.swap_remove(i));
                        prop_assert_eq!(list.swap_remove(i), expected);
                    }
                    Op::Set(i, v) => {
                        let i = if model.is_empty() { i } else { i % model.len() };
                        if let Some(slot) = list.get_mut(i) {
                            *slot = v;
                        }
                        if let Some(slot) = model.get_mut(i) {
                            *slot = v;
                        }
                    }
                }
                prop_assert_eq!(list.len(), model.len());
                prop_assert_eq!(list.last(), model.last());
            }
            prop_assert!(list.iter().eq(model.iter()));
            for i in [0, model.len() / 2, model.len().saturating_sub(1), model.len()] {
                prop_assert_eq!(list.get(i), model.get(i));
            }
            prop_assert!(list.heap_bytes() >= model.len() * 4);
            prop_assert!(list.into_iter().eq(model.into_iter()));
        }
    }
}
