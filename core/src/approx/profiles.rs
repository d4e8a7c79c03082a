//! The error profiles an [`super::ApproxTable`]'s items share. An item admitted to a full
//! table gets the table's `unlisted` bounds at that moment as its errors, one per error group
//! (`unlisted[g] - unlisted[g + 1]`), and those errors only ever change by whole groups
//! expiring. `unlisted` itself only changes when an eviction raises it, and one eviction
//! batch is followed by as many admissions, so most items share their errors with many
//! others: a profile is stored once, reference-counted, and every item names its profile.
//! An eviction then reads the victim's errors from a small, hot set of profiles instead of a
//! row of its own, and expiring a group touches each profile once instead of each item.

use super::table::MAX_LIVE_GROUPS;
use crate::heap;

/// The profile of an item with no errors (admitted before the table first evicted).
pub const NO_ERRORS: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Profile {
    /// Items naming this profile; 0 for a free one.
    refs: u32,
    /// Sum of the live groups' errors.
    sum: u64,
    /// Errors by absolute group index modulo the ring size.
    errors: [u64; MAX_LIVE_GROUPS],
}

/// Reference-counted error profiles, with the one matching the current `unlisted` bounds.
#[derive(Debug, Clone)]
pub struct ErrorProfiles {
    /// Ring size: groups `g` and `g + ring` are never live together.
    ring: usize,
    profiles: Vec<Profile>,
    free: Vec<u32>,
    /// The profile of the current `unlisted` bounds, if one is built and still matches.
    current: Option<u32>,
}

impl ErrorProfiles {
    /// Profiles over a ring of `ring` groups (at most [`MAX_LIVE_GROUPS`]).
    pub fn new(ring: usize) -> Self {
        ErrorProfiles {
            ring: ring.clamp(1, MAX_LIVE_GROUPS),
            profiles: Vec::new(),
            free: Vec::new(),
            current: None,
        }
    }

    /// The sum of profile `id`'s live errors.
    pub fn sum(&self, id: u32) -> u64 {
        self.profiles.get(id as usize).map_or(0, |p| p.sum)
    }

    /// Profile `id`'s error in (absolute) group `group`.
    pub fn error(&self, id: u32, group: i64) -> u64 {
        let cell = self.cell(group);
        self.profiles
            .get(id as usize)
            .and_then(|p| p.errors.get(cell))
            .copied()
            .unwrap_or(0)
    }

    /// Profile `id`'s errors in the live groups from `first_group` on, oldest first (the
    /// entries past the live groups are 0).
    pub fn live_errors(&self, id: u32, first_group: i64) -> [u64; MAX_LIVE_GROUPS] {
        let mut live = [0; MAX_LIVE_GROUPS];
        let ring = self
            .profiles
            .get(id as usize)
            .and_then(|profile| profile.errors.get(..self.ring))
            .unwrap_or(&[]);
        let (newer, older) = ring.split_at(self.cell(first_group).min(ring.len()));
        for (slot, &error) in live.iter_mut().zip(older.iter().chain(newer)) {
            *slot = error;
        }
        live
    }

    /// A reference to the profile of `unlisted` (the bounds of the live groups from
    /// `first_group` on, non-increasing), building it unless the last one built still
    /// matches.
    pub fn acquire_current(&mut self, unlisted: &[u64], first_group: i64) -> u32 {
        if unlisted.first().copied().unwrap_or(0) == 0 {
            return NO_ERRORS;
        }
        if let Some(id) = self.current {
            self.retain(id);
            return id;
        }
        let differences = unlisted.iter().enumerate().map(|(offset, &bound)| {
            let next = unlisted.get(offset + 1).copied().unwrap_or(0);
            (first_group + offset as i64, bound.saturating_sub(next))
        });
        let id = self.insert_groups(differences);
        self.current = Some(id);
        id
    }

    /// The `unlisted` bounds changed: the next admission builds a new profile.
    pub fn forget_current(&mut self) {
        self.current = None;
    }

    /// A new profile with the given errors per live group, or [`NO_ERRORS`] if they are all
    /// 0; sharing it is up to the caller.
    pub fn insert_groups(&mut self, groups: impl Iterator<Item = (i64, u64)>) -> u32 {
        let mut errors = [0; MAX_LIVE_GROUPS];
        let mut sum = 0u64;
        for (group, amount) in groups {
            if let Some(error) = errors.get_mut(self.cell(group)) {
                *error = amount;
                sum = sum.saturating_add(amount);
            }
        }
        if sum == 0 {
            return NO_ERRORS;
        }
        self.insert(errors, sum)
    }

    /// One more item names `id`.
    pub fn retain(&mut self, id: u32) {
        if let Some(profile) = self.profiles.get_mut(id as usize) {
            profile.refs = profile.refs.saturating_add(1);
        }
    }

    /// One item no longer names `id`; the profile is freed when none does.
    pub fn release(&mut self, id: u32) {
        let Some(profile) = self.profiles.get_mut(id as usize) else {
            return;
        };
        profile.refs = profile.refs.saturating_sub(1);
        if profile.refs == 0 {
            self.free.push(id);
            if self.current == Some(id) {
                self.current = None;
            }
        }
    }

    /// Group `group`'s columns all expired: every profile loses its error there. Returns
    /// true if a profile in use was left with no error at all.
    pub fn expire(&mut self, group: i64) -> bool {
        let cell = self.cell(group);
        let mut emptied = false;
        for profile in &mut self.profiles {
            if let Some(error) = profile.errors.get_mut(cell) {
                let had = profile.sum;
                profile.sum = profile.sum.saturating_sub(std::mem::take(error));
                emptied |= had > 0 && profile.sum == 0 && profile.refs > 0;
            }
        }
        emptied
    }

    /// Drops every profile.
    pub fn clear(&mut self) {
        self.profiles.clear();
        self.free.clear();
        self.current = None;
    }

    pub fn heap_bytes(&self) -> usize {
        heap::buffer::<Profile>(self.profiles.capacity())
            + heap::buffer::<u32>(self.free.capacity())
    }

    fn insert(&mut self, errors: [u64; MAX_LIVE_GROUPS], sum: u64) -> u32 {
        let profile = Profile {
            refs: 1,
            sum,
            errors,
        };
        match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.profiles.get_mut(id as usize) {
                    *slot = profile;
                }
                id
            }
            None => {
                self.profiles.push(profile);
                (self.profiles.len() - 1) as u32
            }
        }
    }

    fn cell(&self, group: i64) -> usize {
        group.rem_euclid(self.ring as i64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admissions_between_evictions_share_one_profile() {
        let mut profiles = ErrorProfiles::new(4);
        assert_eq!(profiles.acquire_current(&[0, 0], 7), NO_ERRORS);
        let first = profiles.acquire_current(&[9, 4], 7);
        assert_eq!(profiles.acquire_current(&[9, 4], 7), first);
        assert_eq!((profiles.error(first, 7), profiles.error(first, 8)), (5, 4));
        assert_eq!(profiles.live_errors(first, 7)[..3], [5, 4, 0]);
        assert_eq!(profiles.sum(first), 9);
        profiles.forget_current();
        let second = profiles.acquire_current(&[12, 4], 7);
        assert_ne!(second, first);
        assert!(!profiles.expire(7), "both keep an error in group 8");
        assert_eq!((profiles.sum(first), profiles.sum(second)), (4, 4));
        profiles.release(first);
        profiles.release(first);
        assert_eq!(
            profiles.insert_groups([(8, 3)].into_iter()),
            first,
            "reused"
        );
        assert_eq!(profiles.error(first, 7), 0, "expired cells start empty");
        assert!(
            profiles.expire(8),
            "every error of the profile in use is gone"
        );
        assert_eq!(profiles.sum(second), 0);
    }
}
