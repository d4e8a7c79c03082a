//! Large trackers are dropped on a thread of the module's own, so that freeing a tracker of a
//! million items (about 100 ms of deallocation) never stalls the server, whatever
//! `lazyfree-lazy-user-del` says: a plain `DEL` returns at once, like `UNLINK`. Small
//! trackers are dropped in place, which is cheaper than handing them over. If the thread
//! cannot be started, or is gone, the tracker is dropped in place.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;
use std::thread;

use wtopk_core::Tracker;

/// Distinct items from which a tracker is dropped in the background (about 1 ms of work).
const BACKGROUND_FROM_ITEMS: usize = 10_000;

static DROPPER: OnceLock<Option<Sender<Box<Tracker>>>> = OnceLock::new();

/// Drops `tracker`, in the background if it is large.
pub fn drop_tracker(tracker: Box<Tracker>) {
    if tracker.distinct_items() < BACKGROUND_FROM_ITEMS {
        return;
    }
    if let Some(dropper) = DROPPER.get_or_init(start_dropper) {
        // On a send error the tracker comes back inside the error and is dropped here.
        let _ = dropper.send(tracker);
    }
}

fn start_dropper() -> Option<Sender<Box<Tracker>>> {
    let (sender, receiver) = channel::<Box<Tracker>>();
    thread::Builder::new()
        .name("wtopk-free".into())
        .spawn(move || receiver.into_iter().for_each(drop))
        .ok()?;
    Some(sender)
}
