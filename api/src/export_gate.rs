//! Who may stream an export now. An export is long (seconds to minutes for a large directory)
//! and holds a database connection of its own while it runs, so they are bounded: a few at once
//! in all, fewer per client. A client over its share is told to wait (429), a full house is told
//! to come back (503); both with `Retry-After`. The permit is released when the stream ends, for
//! whatever reason (finished, client gone, client stalled).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct ExportGate {
    max: usize,
    per_client: usize,
    running: Mutex<Running>,
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// Why an export cannot start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every export slot is taken.
    Full,
    /// This client already runs its share.
    ClientBusy,
}

/// A running export's slot; dropping it frees the slot.
#[derive(Debug)]
pub struct ExportPermit {
    gate: Arc<ExportGate>,
    client: IpAddr,
}

impl ExportGate {
    /// At most `max` exports at once, `per_client` of them from one client (its network, see
    /// [`crate::client::network`]).
    pub fn new(max: usize, per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            per_client: per_client.max(1),
            running: Mutex::new(Running::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Running> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn admit(self: &Arc<Self>, client: IpAddr) -> Result<ExportPermit, Refused> {
        let client = crate::client::network(client);
        let mut running = self.lock();
        let mine = running.by_client.get(&client).copied().unwrap_or(0);
        if mine >= self.per_client {
            return Err(Refused::ClientBusy);
        }
        if running.total >= self.max {
            return Err(Refused::Full);
        }
        running.total += 1;
        *running.by_client.entry(client).or_default() += 1;
        Ok(ExportPermit {
            gate: Arc::clone(self),
            client,
        })
    }

    /// Exports streaming now.
    pub fn running(&self) -> usize {
        self.lock().total
    }

    /// The most exports allowed at once.
    pub fn max(&self) -> usize {
        self.max
    }
}

impl Drop for ExportPermit {
    fn drop(&mut self) {
        let mut running = self.gate.lock();
        running.total = running.total.saturating_sub(1);
        if let Some(n) = running.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                running.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_bounded_in_all_and_per_client_and_freed_when_done() {
        let gate = ExportGate::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = gate.admit(a).unwrap();
        let _second = gate.admit(a).unwrap();
        assert_eq!(gate.admit(a).unwrap_err(), Refused::ClientBusy);
        let _third = gate.admit(b).unwrap();
        assert_eq!(gate.admit(b).unwrap_err(), Refused::Full);
        drop(first);
        assert_eq!(gate.running(), 2);
        assert!(gate.admit(b).is_ok());
    }
}
