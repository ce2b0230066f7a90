//! One run's shared state: the scenario, the world, the seeded fault scheduler, the clock and
//! the state machine engine. Everything runs on one thread of a tokio runtime whose time is
//! paused, so simulated time jumps from timer to timer and one seed decides every step.

use crate::chance::{Chance, EngineEntropy, Stream};
use crate::lambda::SimLambda;
use crate::mutants::Mutant;
use crate::scenario::{Scenario, Service};
use crate::world::World;
use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use vod_core::contracts::LambdaFunction;
use vod_core::ports::PortErrorKind;
use vod_states::{Clock as _, Engine, RuntimeClock, StateMachine};

/// The state machine, exactly as checked in.
pub const STATE_MACHINE: &str = include_str!("../../../statemachine/vod-pipeline.asl.json");

/// When every run starts: 2030-01-01T00:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Who is calling a port: a Lambda invocation, for the trace, the fault budget and the owner
/// check.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `x2 Transcode#1` (execution x2, state Transcode, retry 1) or `ch job-4 COMPLETE#0`.
    pub actor: String,
    pub upload: Option<usize>,
    /// The execution ARN, for Task states.
    pub execution: Option<String>,
    /// Isolated faults are counted per scope (a Task state of an execution, or an event).
    pub scope: String,
    pub function: LambdaFunction,
}

/// What the scheduler does to one port call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Fails before the effect.
    Before(PortErrorKind, &'static str),
    /// The effect happens, the response is lost.
    After,
    /// The call hangs until the Lambda times out; `true` when after the effect.
    Hang(bool),
}

/// Whether a call changes anything (only those can fail after the effect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Read,
    Write,
}

pub struct Sim {
    pub scenario: Scenario,
    pub mutant: Option<Mutant>,
    world: Mutex<World>,
    faults: Mutex<Chance>,
    delays: Mutex<Chance>,
    pub clock: RuntimeClock,
    start: tokio::time::Instant,
    pub engine: Engine,
    pub machine: Arc<StateMachine>,
    /// No faults at all (the end-of-run checks).
    quiet: AtomicBool,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.scenario.seed)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The definition with its `${…}` Lambda ARNs filled in (what CDK's substitutions do).
pub fn definition(text: &str) -> Result<StateMachine, crate::Error> {
    let mut text = text.to_owned();
    for f in LambdaFunction::ALL {
        if let Some(placeholder) = f.asl_placeholder() {
            text = text.replace(&format!("${{{placeholder}}}"), &function_arn(f));
        }
    }
    if let Some(at) = text.find("${") {
        let rest: String = text[at..].chars().take(40).collect();
        return Err(crate::Error::Definition(format!(
            "placeholder left unfilled: {rest}"
        )));
    }
    StateMachine::from_json(&text)
        .map(|m| m.with_name("vod-pipeline"))
        .map_err(|e| crate::Error::Definition(e.to_string()))
}

pub fn function_arn(f: LambdaFunction) -> String {
    format!(
        "arn:aws:lambda:us-east-1:123456789012:function:{}",
        f.binary_name()
    )
}

impl Sim {
    /// Must be called inside the run's (paused) runtime.
    pub fn new(scenario: Scenario, mutant: Option<Mutant>) -> Result<Arc<Self>, crate::Error> {
        let asl = match mutant {
            Some(m) => m.definition(STATE_MACHINE)?,
            None => STATE_MACHINE.to_owned(),
        };
        let machine = Arc::new(definition(&asl)?);
        let clock = RuntimeClock::starting_at(t0());
        let seed = scenario.seed;
        let world = World {
            uploads: scenario.uploads.clone(),
            ..World::default()
        };
        Ok(Arc::new_cyclic(|weak| {
            let engine = Engine::new(Arc::new(SimLambda::new(weak.clone())), Arc::new(clock));
            engine.set_entropy(Arc::new(EngineEntropy::new(seed)));
            Self {
                scenario,
                mutant,
                world: Mutex::new(world),
                faults: Mutex::new(Chance::new(seed, Stream::Faults)),
                delays: Mutex::new(Chance::new(seed, Stream::Delays)),
                clock,
                start: tokio::time::Instant::now(),
                engine,
                machine,
                quiet: AtomicBool::new(false),
            }
        }))
    }

    /// Simulated time since the run started.
    pub fn elapsed(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.start)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    pub fn log(&self, upload: Option<usize>, actor: &str, text: impl Into<String>) {
        let at = self.elapsed();
        self.world().log(at, upload, actor, text.into());
    }

    /// A delay drawn from the seed (network latency, delivery delays).
    pub fn delay(&self, lo: Duration, hi: Duration) -> Duration {
        let ms = lock(&self.delays).below(lo.as_millis() as u64, hi.as_millis() as u64);
        Duration::from_millis(ms)
    }

    /// A yes/no drawn from the fault stream (always no once quiet).
    pub fn chance(&self, p: f64) -> bool {
        p > 0.0 && !self.quiet.load(Ordering::Relaxed) && lock(&self.faults).ratio(p)
    }

    /// Turns every fault off (or on again).
    pub fn set_quiet(&self, quiet: bool) {
        self.quiet.store(quiet, Ordering::Relaxed);
    }

    pub fn pick<T: Copy>(&self, items: &[T]) -> T {
        lock(&self.faults).pick(items)
    }

    /// Spends one isolated fault of `scope`'s budget, if any is left.
    pub fn spend(&self, scope: &str) -> bool {
        let budget = self.scenario.faults.budget;
        let mut world = self.world();
        let used = world.budgets.entry(scope.to_owned()).or_insert(0);
        if *used < budget {
            *used += 1;
            true
        } else {
            false
        }
    }

    pub fn in_outage(&self, service: Service) -> bool {
        let now = self.elapsed();
        self.scenario
            .faults
            .outage
            .is_some_and(|o| o.service == service && o.from <= now && now < o.until)
    }

    /// Decides what happens to one port call.
    pub fn fault(&self, caller: &Caller, service: Service, call: Call) -> Fault {
        if self.quiet.load(Ordering::Relaxed) {
            return Fault::None;
        }
        if self.in_outage(service) {
            return Fault::Before(PortErrorKind::Transient, "ServiceUnavailable (outage)");
        }
        let f = &self.scenario.faults;
        if self.chance(f.lambda_timeouts) && self.spend(&caller.scope) {
            return Fault::Hang(call == Call::Write && self.chance(0.5));
        }
        if self.chance(f.blip_rate) && self.spend(&caller.scope) {
            if call == Call::Write && f.after_effect && self.chance(0.5) {
                return Fault::After;
            }
            let why = self.pick(&["ThrottlingException", "InternalServerError", "timeout"]);
            return Fault::Before(PortErrorKind::Transient, why);
        }
        Fault::None
    }

    /// Notes an injected fault (for the diagnosis of violations) and traces it.
    pub fn injected(&self, caller: &Caller, what: String) {
        let at = self.elapsed();
        let mut world = self.world();
        world.injected.push(crate::world::Injected {
            upload: caller.upload,
            actor: caller.actor.clone(),
            what: what.clone(),
            at,
        });
    }
}
