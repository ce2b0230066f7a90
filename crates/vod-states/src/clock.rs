//! Injectable clocks: the real tokio clock, the tokio runtime's own (virtual when the runtime's
//! time is paused) and a fake clock that advances instantly or manually.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

/// Source of time for an [`crate::Engine`]: `now()` and `sleep()`.
#[async_trait::async_trait]
pub trait Clock: Send + Sync + fmt::Debug {
    /// Current time.
    fn now(&self) -> DateTime<Utc>;
    /// Sleeps for `duration` of this clock's time.
    async fn sleep(&self, duration: Duration);
}

/// Wall-clock time with `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

#[async_trait::async_trait]
impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Time as the tokio runtime keeps it, from a fixed starting point: `now()` is `start` plus
/// the runtime's elapsed time and `sleep` is `tokio::time::sleep`. On a runtime whose time is
/// paused (`start_paused`) nothing here reads the wall clock: time jumps to the next timer
/// whenever every task waits, so a simulation decides every instant itself.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeClock {
    start: DateTime<Utc>,
    anchor: tokio::time::Instant,
}

impl RuntimeClock {
    /// A clock reading `start` now (must be called inside a tokio runtime with time enabled).
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            start,
            anchor: tokio::time::Instant::now(),
        }
    }
}

#[async_trait::async_trait]
impl Clock for RuntimeClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.anchor);
        self.start + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// How a [`FakeClock`] advances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeMode {
    /// A sleep yields to the scheduler a few times (so ready work such as an already-answered
    /// task wins a race against a timeout), then advances the clock by its duration and returns.
    Instant,
    /// Sleeps wait until [`FakeClock::advance`] moves time past their deadline.
    Manual,
}

#[derive(Debug)]
struct FakeState {
    now: DateTime<Utc>,
    sleepers: usize,
    slept: Vec<Duration>,
    /// Instant mode: pending sleeps by (deadline, id); only the earliest may complete.
    queue: std::collections::BTreeSet<(DateTime<Utc>, u64)>,
    next_id: u64,
}

/// A virtual clock for tests.
pub struct FakeClock {
    mode: FakeMode,
    state: Mutex<FakeState>,
    notify: Notify,
}

impl fmt::Debug for FakeClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeClock")
            .field("mode", &self.mode)
            .field("now", &self.now())
            .finish()
    }
}

impl FakeClock {
    /// A clock that advances instantly, starting at `start`.
    pub fn instant(start: DateTime<Utc>) -> Self {
        Self::new(FakeMode::Instant, start)
    }

    /// A clock that only advances through [`FakeClock::advance`].
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self::new(FakeMode::Manual, start)
    }

    fn new(mode: FakeMode, start: DateTime<Utc>) -> Self {
        Self {
            mode,
            state: Mutex::new(FakeState {
                now: start,
                sleepers: 0,
                slept: Vec::new(),
                queue: std::collections::BTreeSet::new(),
                next_id: 0,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves time forward and wakes sleepers whose deadline passed.
    pub fn advance(&self, by: Duration) {
        {
            let mut st = self.lock();
            st.now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        }
        self.notify.notify_waiters();
    }

    /// Number of sleeps currently waiting (manual mode).
    pub fn pending_sleepers(&self) -> usize {
        self.lock().sleepers
    }

    /// Durations of every completed sleep, in completion order (to assert retry delays).
    pub fn completed_sleeps(&self) -> Vec<Duration> {
        self.lock().slept.clone()
    }
}

#[async_trait::async_trait]
impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        self.lock().now
    }

    async fn sleep(&self, duration: Duration) {
        let deadline =
            self.now() + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX);
        match self.mode {
            FakeMode::Instant => {
                struct Queued<'a>(&'a FakeClock, (DateTime<Utc>, u64));
                impl Drop for Queued<'_> {
                    fn drop(&mut self) {
                        self.0.lock().queue.remove(&self.1);
                    }
                }
                let key = {
                    let mut st = self.lock();
                    st.next_id += 1;
                    let key = (deadline, st.next_id);
                    st.queue.insert(key);
                    key
                };
                let _queued = Queued(self, key);
                loop {
                    // let ready work (e.g. an already-answered task) win races against this timer
                    for _ in 0..8 {
                        tokio::task::yield_now().await;
                    }
                    let mut st = self.lock();
                    if st.queue.first() == Some(&key) {
                        if st.now < deadline {
                            st.now = deadline;
                        }
                        st.slept.push(duration);
                        break;
                    }
                }
            }
            FakeMode::Manual => {
                struct Guard<'a>(&'a FakeClock);
                impl Drop for Guard<'_> {
                    fn drop(&mut self) {
                        let mut st = self.0.lock();
                        st.sleepers = st.sleepers.saturating_sub(1);
                    }
                }
                self.lock().sleepers += 1;
                let _guard = Guard(self);
                loop {
                    let notified = self.notify.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if self.now() >= deadline {
                        break;
                    }
                    notified.await;
                }
                self.lock().slept.push(duration);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn instant_advances() {
        let start = Utc::now();
        let c = FakeClock::instant(start);
        c.sleep(Duration::from_secs(10)).await;
        assert_eq!(c.now() - start, chrono::Duration::seconds(10));
        assert_eq!(c.completed_sleeps(), vec![Duration::from_secs(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn runtime_clock_follows_paused_time() {
        let start = Utc::now();
        let c = RuntimeClock::starting_at(start);
        c.sleep(Duration::from_secs(3600)).await;
        assert_eq!(c.now() - start, chrono::Duration::hours(1));
    }

    #[tokio::test]
    async fn manual_waits_for_advance() {
        let start = Utc::now();
        let c = Arc::new(FakeClock::manual(start));
        let c2 = c.clone();
        let h = tokio::spawn(async move { c2.sleep(Duration::from_secs(5)).await });
        while c.pending_sleepers() == 0 {
            tokio::task::yield_now().await;
        }
        c.advance(Duration::from_secs(4));
        tokio::task::yield_now().await;
        assert!(!h.is_finished());
        c.advance(Duration::from_secs(1));
        assert!(h.await.is_ok());
    }
}
