//! An item's bytes as the interner stores them: items of up to 22 bytes (most product,
//! song and user ids) inline, longer ones in one allocation of their own. Interning and
//! forgetting a short item then allocates and frees nothing, which matters in APPROX mode,
//! where tail items are admitted and evicted all the time.

use crate::heap;

/// The longest item kept inline: the enum stays 24 bytes, the size of the boxed variant.
const INLINE: usize = 22;

#[derive(Debug, Clone)]
pub enum ItemBytes {
    Inline { len: u8, bytes: [u8; INLINE] },
    Boxed(Box<[u8]>),
}

impl ItemBytes {
    pub fn new(item: &[u8]) -> Self {
        let mut bytes = [0; INLINE];
        match bytes.get_mut(..item.len()) {
            Some(prefix) => {
                prefix.copy_from_slice(item);
                ItemBytes::Inline {
                    len: item.len() as u8,
                    bytes,
                }
            }
            None => ItemBytes::Boxed(Box::from(item)),
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            ItemBytes::Inline { len, bytes } => bytes.get(..*len as usize).unwrap_or(&[]),
            ItemBytes::Boxed(bytes) => bytes,
        }
    }

    /// Heap bytes of the item's own allocation (0 inline), counted once per item.
    pub fn heap_bytes(&self) -> usize {
        match self {
            ItemBytes::Inline { .. } => 0,
            ItemBytes::Boxed(bytes) => heap::buffer::<u8>(bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_items_are_inline_and_long_ones_boxed() {
        assert_eq!(std::mem::size_of::<ItemBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<ItemBytes>>(), 24);
        for len in [0, 1, INLINE, INLINE + 1, 300] {
            let item: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let stored = ItemBytes::new(&item);
            assert_eq!(stored.as_slice(), &item[..]);
            assert_eq!(stored.heap_bytes() == 0, len <= INLINE, "length {len}");
        }
    }
}
