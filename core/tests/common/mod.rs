//! What the record-layout tests share: the batches they send.

use wtopk_core::Event;

/// Events of `items` at `ts`, the n-th with count `1 + n % 5`.
pub fn batch<'a>(ts: i64, items: &[&'a [u8]]) -> Vec<Event<'a>> {
    items
        .iter()
        .enumerate()
        .map(|(n, &item)| Event {
            ts,
            item,
            count: 1 + n as u64 % 5,
            id: None,
        })
        .collect()
}
